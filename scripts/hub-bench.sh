#!/usr/bin/env bash
# Runs one of the hub's database benchmarks (a main class in hub/src/test/java/io/edgerent/hub/store) on this
# checkout's hub, built first. Usage: scripts/hub-bench.sh CLASS [ARGS...]; scripts/bench-*.sh call it.
set -euo pipefail
cd "$(dirname "$0")/.."
class=$1
shift
mvn -B -q -pl hub -am install -DskipTests
cp=$(mktemp)
mvn -B -q -pl hub dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
java -cp "hub/target/classes:hub/target/test-classes:$(cat "$cp")" "io.edgerent.hub.store.$class" "$@" \
    2>&1 | grep -v ' INFO '
rm -f "$cp"
