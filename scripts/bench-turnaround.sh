#!/usr/bin/env bash
# Rental turnaround (wipe + fresh encrypted container ready) against a bare docker rm -f + run -d, in one run.
# Usage: scripts/bench-turnaround.sh [ROUNDS]     needs root, the Docker engine and the renter image
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl edge-bundles/containers -am install -DskipTests
cp=$(mktemp)
mvn -B -q -pl edge-bundles/containers dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
java -cp "edge-bundles/containers/target/classes:edge-bundles/containers/target/test-classes:$(cat "$cp")" \
    io.edgerent.edge.containers.docker.TurnaroundBenchmark "$@"
rm -f "$cp"
