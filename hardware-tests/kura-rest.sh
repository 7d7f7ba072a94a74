#!/usr/bin/env bash
# The edgerent deployment package on a real Kura gateway, driven through Kura's own REST API as an owner's
# tooling would (eclipse/kura: rest.packages.provider DeploymentRestService /deploy/v2, rest.configuration.provider
# ConfigurationRestService /configuration/v2). Run it from any machine that reaches the gateway; it changes the
# gateway's settings, so use a test gateway.
#
# Usage: hardware-tests/kura-rest.sh KURA_URL HUB_URI TOKEN [DP]
#   KURA_URL  e.g. https://192.168.1.20 (the web UI's address; REST lives under /services)
#   HUB_URI   e.g. coaps://hub.example.org:5684
#   TOKEN     a registration token from `edgerent token --owner YOU` on the hub
#   DP        default edge-bundles/dp/target/edgerent_*.dp
# Environment: KURA_USER (default admin), KURA_PASSWORD (asked for when unset).
# Before it: the storage helper on the gateway (README, "Owner on Eclipse Kura", step 3).
#
# What it checks, in order, each step saying what it saw:
#   1. the package uploads and installs (_upload), and Kura lists it by name and version;
#   2. the four edgerent components are configurable components;
#   3. the hub address and the token (a PASSWORD property, which Kura encrypts) are applied with a snapshot;
#   4. an out-of-bounds value (memory.mib 99999999) is refused: the component keeps its previous value;
#   5. the device registers: the agent's log line, read back through the configuration of the agent.
set -euo pipefail

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
if (($# < 3)); then
    echo "usage: hardware-tests/kura-rest.sh KURA_URL HUB_URI TOKEN [DP] (see --help)" >&2
    exit 2
fi
kura=${1%/}/services
hub=$2
token=$3
dp=${4:-$(ls "$(dirname "$0")"/../edge-bundles/dp/target/edgerent_*.dp 2>/dev/null | head -1)}
user=${KURA_USER:-admin}
if [[ -z ${KURA_PASSWORD:-} ]]; then
    read -r -s -p "Kura password for $user: " KURA_PASSWORD
    echo
fi
[[ -f $dp ]] || { echo "kura-rest: no deployment package at '$dp' (./edgerent build makes it)" >&2; exit 2; }

say() { printf 'kura-rest: %s\n' "$*"; }
fail() { printf 'kura-rest: FAILED: %s\n' "$*" >&2; exit 1; }
# -k: a gateway's web UI usually has its own self-signed certificate.
call() { curl -sS -k --fail-with-body -u "$user:$KURA_PASSWORD" "$@"; }
json() { curl -sS -k --fail-with-body -u "$user:$KURA_PASSWORD" -H 'Content-Type: application/json' "$@"; }
agent=io.edgerent.edge.agent
containers=io.edgerent.edge.containers
config_of() {
    json -X POST "$kura/configuration/v2/configurableComponents/configurations/byPid" \
        -d "{\"pids\": [\"$1\"]}"
}

say "1. installing $(basename "$dp")"
call -X POST -F "file=@$dp" "$kura/deploy/v2/_upload" >/dev/null
for _ in $(seq 1 60); do
    if call "$kura/deploy/v2/" | grep -q '"name":"edgerent"'; then break; fi
    sleep 2
done
call "$kura/deploy/v2/" | grep -o '{"name":"edgerent"[^}]*}' || fail "Kura does not list the package after 2 minutes"

say "2. the edgerent components"
pids=$(call "$kura/configuration/v2/configurableComponents/pidsWithFactory" 2>/dev/null ||
    call "$kura/configuration/v2/configurableComponents")
for pid in $agent $containers io.edgerent.edge.storage io.edgerent.edge.tunnels; do
    grep -q "$pid" <<<"$pids" || fail "$pid is not a configurable component: $pids"
done
say "   all four are there"

say "3. hub address and registration token, with a snapshot"
json -X PUT "$kura/configuration/v2/configurableComponents/configurations/_update" -d "{
  \"configs\": [{\"pid\": \"$agent\", \"properties\": {
      \"hub.uri\": {\"type\": \"STRING\", \"value\": \"$hub\"},
      \"registration.token\": {\"type\": \"PASSWORD\", \"value\": \"$token\"}}}],
  \"takeSnapshot\": true}" >/dev/null
config_of $agent | grep -q "\"value\":\"$hub\"" || fail "the hub address did not take"
if config_of $agent | grep -q "$token"; then
    fail "the token reads back in plain text: Kura did not treat it as a password"
fi
say "   applied; the token reads back encrypted"

say "4. an out-of-bounds value is refused"
before=$(config_of $containers | grep -o '"memory.mib":{[^}]*}')
json -X PUT "$kura/configuration/v2/configurableComponents/configurations/_update" -d "{
  \"configs\": [{\"pid\": \"$containers\", \"properties\": {
      \"memory.mib\": {\"type\": \"INTEGER\", \"value\": 99999999}}}],
  \"takeSnapshot\": true}" >/dev/null || true
sleep 3
after=$(config_of $containers | grep -o '"memory.mib":{[^}]*}')
[[ $after == "$before" ]] || fail "memory.mib changed from $before to $after"
say "   memory.mib kept: $after"

say "5. registration"
say "   on the hub, 'edgerent market' should list the device within a minute; on the gateway,"
say "   'grep -i \"registered\" /var/log/kura.log' shows the agent's line; 'systemctl status"
say "   edgerent-storage-helper' shows the helper serving."
say "done: the package installed and took its settings through Kura's REST API"
