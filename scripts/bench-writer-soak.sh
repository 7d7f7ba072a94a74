#!/usr/bin/env bash
# The database writer held at saturation: does it slow as it runs, and what grows with it.
# Usage: scripts/bench-writer-soak.sh [DEVICES [SECONDS [USAGE_EVERY]]]   (default 10000 90 3: two heartbeats to a usage report; about three minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl hub -am install -DskipTests
cp=$(mktemp)
mvn -B -q -pl hub dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
java -cp "hub/target/classes:hub/target/test-classes:$(cat "$cp")" io.edgerent.hub.store.WriterSoakBenchmark "$@" \
    2>&1 | grep -v ' INFO '
rm -f "$cp"
