#!/usr/bin/env bash
# The database writer held at saturation: does it slow as it runs, and what grows with it.
# Usage: scripts/bench-writer-soak.sh [DEVICES [SECONDS [USAGE_EVERY [IN_FLIGHT]]]]   (default 10000 90 3 256: two
# heartbeats to a usage report, 256 requests in flight; about three minutes)
exec "$(dirname "$0")/hub-bench.sh" WriterSoakBenchmark "$@"
