#!/usr/bin/env bash
# The HTTP router under load and under attack, in one run: wrk through the router against the same web server
# without it (4, 16, 64 keep-alive connections), 10,000 idle keep-alive connections held (the hub's heap and
# threads), a slowloris of 2,000 connections from one address while another client measures its p99, and an
# event stream of one event a minute held through the router for STREAM-MINUTES (default 0: none).
# Usage: scripts/bench-router.sh [SECONDS] [ROUNDS] [STREAM-MINUTES]    needs root, the Docker engine and the renter image
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
mvn -B -q install -DskipTests
cd system-tests
mvn -B -q test-compile
cp=$(mktemp)
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
java ${BENCH_JAVA_OPTS:-} -cp "target/test-classes:target/classes:$(cat "$cp")" io.edgerent.systemtests.bench.RouterBenchmark "$@"
rm -f "$cp"
