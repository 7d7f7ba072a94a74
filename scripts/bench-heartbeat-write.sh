#!/usr/bin/env bash
# A heartbeat's database write: the device row, V19's liveness row and V20's row of numbers, in one run.
# Usage: scripts/bench-heartbeat-write.sh [DEVICES]   (default 10000; about two minutes)
exec "$(dirname "$0")/hub-bench.sh" HeartbeatWriteBenchmark "$@"
