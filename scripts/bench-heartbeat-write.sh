#!/usr/bin/env bash
# A heartbeat's database write: the narrow liveness row against the device row, in one run.
# Usage: scripts/bench-heartbeat-write.sh [DEVICES]   (default 10000; about two minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl hub -am install -DskipTests
cp=$(mktemp)
mvn -B -q -pl hub dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
java -cp "hub/target/classes:hub/target/test-classes:$(cat "$cp")" io.edgerent.hub.store.HeartbeatWriteBenchmark "$@" \
    2>&1 | grep -v ' INFO '
rm -f "$cp"
