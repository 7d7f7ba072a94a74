#!/usr/bin/env bash
# Access-path benchmarks in one run: bulk ssh throughput through the gateway and the device tunnel
# against OpenSSH sshd + ssh -R on the same loopback path, and HTTP through the router against the
# same web server reached directly.
# Usage: scripts/bench-tunnels.sh [MIB] [ROUNDS]     needs root, the Docker engine and the renter image
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q install -DskipTests
cd system-tests
mvn -B -q test-compile
cp=$(mktemp)
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
java -Djdk.httpclient.allowRestrictedHeaders=host -cp "target/test-classes:target/classes:$(cat "$cp")" \
    io.edgerent.systemtests.bench.TunnelBenchmark "$@"
rm -f "$cp"
