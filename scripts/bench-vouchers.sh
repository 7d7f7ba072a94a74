#!/usr/bin/env bash
# Durable voucher processing against raw Ed25519 verification, in one run. Usage: scripts/bench-vouchers.sh [CHANNELS PER_CHANNEL THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -pl hub -am install -DskipTests
cp=$(mktemp)
mvn -B -q -pl hub dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
java -cp "hub/target/classes:hub/target/test-classes:$(cat "$cp")" io.edgerent.hub.payment.VoucherBenchmark "$@"
rm -f "$cp"
