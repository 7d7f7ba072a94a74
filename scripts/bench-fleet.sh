#!/usr/bin/env bash
# The fleet benchmark (issue 8): simulated devices, each its own DTLS session, against a real hub and a
# bare Californium DTLS server in the same run. Usage: scripts/bench-fleet.sh [DEVICES [SCHEDULE_S [SATURATE_S [IN_FLIGHT]]]]
# FLEET_OPTS passes JVM properties to the fleet, e.g. FLEET_OPTS=-Dfleet.histogram=true (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q install -DskipTests
cp=$(mktemp)
mvn -B -q -pl system-tests dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp"
# Run from system-tests, where the benchmark finds the hub jar as the system tests do.
cd system-tests
# A socket per simulated device: 100,000 devices need more descriptors than a login's usual limit (root may raise it).
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt 262144 ]; then
  ulimit -Hn 262144 2>/dev/null || echo "bench-fleet: cannot raise the open-files limit; about ${1:-10000} sockets needed" >&2
fi
ulimit -Sn "$(ulimit -Hn)"
java -Xss256k -Xmx8g ${FLEET_OPTS:-} -cp "target/test-classes:$(cat "$cp")" io.edgerent.systemtests.bench.FleetBenchmark "$@"
rm -f "$cp"
