#!/usr/bin/env bash
# Memory of the edge side during an active rental: `edgerent device` (the edge bundles on Felix) under
# -Xmx64m with a renter logged in through the hub, against a bare JVM with the same flags measured in
# the same run. Reports resident memory (VmRSS) and heap used after a full GC. Target: RSS <= 150 MiB.
# Usage: scripts/bench-device-memory.sh [HEAP]    (default 64m; root, the Docker engine, the renter image)
set -euo pipefail
cd "$(dirname "$0")/.."
heap=${1:-64m}
root=$PWD
for jar in hub/target/edgerent-hub.jar edge-bundles/launcher/target/edgerent-device.jar client/target/edgerent-client.jar; do
    [[ -f $jar ]] || { mvn -B -q install -DskipTests; break; }
done
dir=$(mktemp -d /tmp/edgerent-memory.XXXXXX)
pids=() rental="" device=""
export EDGERENT_HOME=$dir
cli() { java -jar "$root/client/target/edgerent-client.jar" "$@"; }
cleanup() {
    [[ -n $rental ]] && cli end "$rental" >/dev/null 2>&1 || true
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    [[ -n $device ]] && docker ps -aq --filter "label=io.edgerent.device=$device" | xargs -r docker rm -f >/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
port() { python3 -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_$1); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
wait_for() { # SECONDS WHAT COMMAND...
    local deadline=$((SECONDS + $1)) what=$2; shift 2
    until "$@" >/dev/null 2>&1; do ((SECONDS < deadline)) || { echo "timed out waiting for $what" >&2; exit 1; }; sleep 0.5; done
}
rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
heap_after_gc_mib() { # used heap after a full GC, from jcmd
    jcmd "$1" GC.run >/dev/null
    jcmd "$1" GC.heap_info | awk '/used/ {for (i = 1; i <= NF; i++) if ($i == "used") {v = $(i + 1); sub(/K,?$/, "", v); printf "%.1f", v / 1024; exit}}'
}

coap=$(port DGRAM) ssh_port=$(port STREAM) http=$(port STREAM) https=$(port STREAM)
export EDGERENT_HUB=coap://127.0.0.1:$coap
java -jar hub/target/edgerent-hub.jar --data "$dir/hub" --coap-port "$coap" --ssh-port "$ssh_port" --http-port "$http" \
    --https-port "$https" >"$dir/hub.log" 2>&1 &
pids+=($!)
wait_for 30 "the hub" grep -q '^hub running' "$dir/hub.log"
token=$(cli token --owner bench)
java "-Xmx$heap" -jar edge-bundles/launcher/target/edgerent-device.jar --hub "$EDGERENT_HUB" --token "$token" \
    --data "$dir/device" --heartbeat 2 >"$dir/device.log" 2>&1 &
device_pid=$!
pids+=("$device_pid")
wait_for 90 "the device to list itself" bash -c "java -jar '$root/client/target/edgerent-client.jar' market | grep -q ' free '"
device=$(cli market | awk 'NR == 2 {print $1}')

ssh-keygen -q -t ed25519 -N '' -f "$dir/key"
rented=$(cli rent "$device" --key "$dir/key.pub" --detach --timeout 90)
rental=$(sed -n 's/^rental: //p' <<<"$rented")
cat >"$dir/ssh_config" <<CONF
Host *
  IdentityFile $dir/key
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  StrictHostKeyChecking accept-new
  BatchMode yes
  LogLevel ERROR
CONF
ssh_to() { ssh -F "$dir/ssh_config" -J "$rental@127.0.0.1:$ssh_port" "root@$rental" "$@"; }
wait_for 60 "ssh into the rental" ssh_to true
ssh_to 'sleep 600' </dev/null &   # a renter stays logged in while we measure
pids+=($!)
ssh_to 'head -c 20000000 /dev/zero' >/dev/null   # and has moved some data through the tunnel
sleep 5

cat >"$dir/Idle.java" <<'JAVA'
public class Idle { public static void main(String[] a) throws Exception { Thread.sleep(600_000); } }
JAVA
javac -d "$dir" "$dir/Idle.java"
java "-Xmx$heap" -cp "$dir" Idle &
idle_pid=$!
pids+=("$idle_pid")
sleep 3

device_heap=$(heap_after_gc_mib "$device_pid") idle_heap=$(heap_after_gc_mib "$idle_pid")
sleep 1
device_rss=$(rss_mib "$device_pid") idle_rss=$(rss_mib "$idle_pid")
errors=$(grep -c OutOfMemoryError "$dir/device.log" || true)
echo "edge side under -Xmx$heap, rental $rental active, one ssh session open, 20 MB moved through the tunnel"
echo "  edgerent device: RSS $device_rss MiB (target <= 150), heap used after full GC $device_heap MiB, OutOfMemoryErrors: $errors"
echo "  bare JVM (same flags, sleeping): RSS $idle_rss MiB, heap used after full GC $idle_heap MiB"
awk -v d="$device_rss" -v b="$idle_rss" 'BEGIN {printf "  ratio RSS device / bare JVM: %.2f; the edge side adds %.1f MiB\n", d / b, d - b}'
