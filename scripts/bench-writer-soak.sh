#!/usr/bin/env bash
# The database writer held at saturation: does it slow as it runs, and what grows with it.
# Usage: scripts/bench-writer-soak.sh [DEVICES [SECONDS [USAGE_EVERY]]]   (default 10000 90 3: two heartbeats to
# a usage report; about three minutes)
exec "$(dirname "$0")/hub-bench.sh" WriterSoakBenchmark "$@"
