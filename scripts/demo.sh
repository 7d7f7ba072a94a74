# shellcheck shell=bash
# `./edgerent demo`: a hub, a device and a rental on this machine, with every real part.
# Sourced by ./edgerent, which defines ROOT, build, image, say and die.

demo_usage() {
    cat <<'EOF'
Usage: ./edgerent demo [--check] [--coap-port PORT] [--ssh-port PORT]

Installs what is missing (Docker engine, debootstrap, OpenSSH client, Java, Maven; needs root),
builds, builds the renter image, then starts a hub and a device on the local Docker engine,
registers the device with a one-time token, rents it with a fresh renter key and prints the
ssh command that reaches the container through the hub. Stays up until Ctrl-C, then ends the
rental and stops everything it started.

  --check          walk the whole rental without waiting for you: the renter pays as they go,
                   ssh runs a command in the container, the rental ends and settles, the
                   container is gone, the device is listed again; exits 0 only if every
                   step worked
  --coap-port N    the hub's plain CoAP port on loopback (default 5683); CoAP over DTLS, which the
                   device and the renter use, is on N+1
  --ssh-port N     the hub's SSH gateway port (default 2222)
  --http-port N    the hub's HTTP router port (default 8080; HTTPS on N+363, default 8443)
EOF
}

demo() {
    local check="" coap_port=5683 ssh_port=2222 http_port=8080
    while (($#)); do
        case $1 in
            --check) check=yes ;;
            --coap-port) coap_port=${2:?--coap-port needs a value}; shift ;;
            --ssh-port) ssh_port=${2:?--ssh-port needs a value}; shift ;;
            --http-port) http_port=${2:?--http-port needs a value}; shift ;;
            -h|--help) demo_usage; return 0 ;;
            *) die "demo: unknown option $1 (see ./edgerent demo --help)" ;;
        esac
        shift
    done
    [[ $(id -u) -eq 0 ]] || die "demo: run as root: it installs packages and starts the Docker engine"

    step "installing what is missing"
    "$ROOT/scripts/prereqs.sh"
    step "building"
    build
    step "building the renter image (about a minute the first time, cached after)"
    image >/dev/null

    DEMO_DIR=$(mktemp -d /tmp/edgerent-demo.XXXXXX)
    DEMO_HUB_PID="" DEMO_DEVICE_PID="" DEMO_PAYER_PID="" DEMO_RENTAL=""
    trap demo_teardown EXIT
    trap 'exit 130' INT TERM
    export EDGERENT_HOME=$DEMO_DIR EDGERENT_HUB=coaps://127.0.0.1:$((coap_port + 1))
    local cli=(java -jar "$CLIENT_JAR")

    step "starting a hub ($EDGERENT_HUB, SSH gateway 127.0.0.1:$ssh_port, HTTP router 127.0.0.1:$http_port)"
    java -jar "$HUB_JAR" --data "$DEMO_DIR/hub" --coap-port "$coap_port" --coaps-port $((coap_port + 1)) --ssh-port "$ssh_port" \
        --http-port "$http_port" --https-port $((http_port + 363)) --metrics 127.0.0.1:$((http_port + 1384)) \
        >"$DEMO_DIR/hub.log" 2>&1 &
    DEMO_HUB_PID=$!
    wait_for 30 "the hub to start (log: $DEMO_DIR/hub.log)" grep -q '^hub running' "$DEMO_DIR/hub.log"
    local hub_key
    hub_key=$(sed -n 's/^hub key: //p' "$DEMO_DIR/hub.log")
    say "the hub's key, pinned by the device: $hub_key"

    step "creating a one-time registration token for owner 'demo-owner'"
    local token
    token=$("${cli[@]}" token --owner demo-owner)

    step "starting a device (the edge bundles on Apache Felix) with that token"
    java -jar "$DEVICE_JAR" --hub "$EDGERENT_HUB" --hub-key "$hub_key" --token "$token" --data "$DEMO_DIR/device" --heartbeat 2 \
        --price-per-hour 3600 --usage-seconds 10 >"$DEMO_DIR/device.log" 2>&1 &
    DEMO_DEVICE_PID=$!
    wait_for 60 "the device to register and list itself (log: $DEMO_DIR/device.log)" market_shows '' free
    local device
    device=$("${cli[@]}" market | awk 'NR==2 {print $1}')
    "${cli[@]}" market
    step "the same market on the hub's web pages: http://127.0.0.1:$http_port/ (sign up there to rent from a browser)"
    curl -fsS "http://127.0.0.1:$http_port/?free=1" | grep -q "data-device=\"$device\"" \
        || fail "the web market at http://127.0.0.1:$http_port/ does not list $device"

    step "the hub operator records 10000 received for the renter's wallet"
    local account
    account=$("${cli[@]}" wallet | sed -n 's/^account: //p')
    "${cli[@]}" wallet deposit "$account" 10000 --ref demo-bank-1 | head -2

    step "renting $device (3600 per hour, 1 per second) with a fresh renter SSH key, deposit 3600"
    ssh-keygen -q -t ed25519 -N '' -C demo-renter -f "$DEMO_DIR/renter_key"
    local rented
    rented=$("${cli[@]}" rent "$device" --hours 1 --key "$DEMO_DIR/renter_key.pub" --max-price 3600 --detach)
    echo "$rented"
    DEMO_RENTAL=$(sed -n 's/^rental: //p' <<<"$rented")
    local ssh_cmd
    ssh_cmd=$(sed -n 's/^ssh: //p' <<<"$rented")
    # The demo's own key and known_hosts, so nothing in ~/.ssh is used or changed.
    cat >"$DEMO_DIR/ssh_config" <<EOF
Host *
  IdentityFile $DEMO_DIR/renter_key
  IdentitiesOnly yes
  UserKnownHostsFile $DEMO_DIR/known_hosts
  StrictHostKeyChecking accept-new
EOF
    local ssh_line="${ssh_cmd/ssh /ssh -F $DEMO_DIR/ssh_config }"

    if [[ -z $check ]]; then
        cat <<EOF

The rental is ready. In another terminal, log into the container through the hub:

  $ssh_line

(With your own key, \`./edgerent rent DEVICE --key ~/.ssh/id_ed25519.pub\` prints the plain
command: $ssh_cmd)
Anything you serve on port 80 in the container (try: python3 -m http.server 80) answers at
$(sed -n 's/^web: \([^ ]*\).*/\1/p' <<<"$rented") (curl and browsers resolve *.localhost themselves).
In a third: EDGERENT_HOME=$DEMO_DIR EDGERENT_HUB=$EDGERENT_HUB ./edgerent status $DEMO_RENTAL

Paying as you go below, a voucher every 5 s. Ctrl-C ends the rental (you see the settlement)
and stops the hub and the device.
EOF
        "${cli[@]}" pay "$DEMO_RENTAL" --pay-every 5 || true
        DEMO_RENTAL=""
        return 0
    fi

    step "paying as you go in the background: a voucher every 2 s"
    "${cli[@]}" pay "$DEMO_RENTAL" --pay-every 2 >"$DEMO_DIR/payer.log" 2>&1 &
    DEMO_PAYER_PID=$!
    wait_for 30 "the first voucher" channel_paid

    step "running 'cat /etc/os-release' in the container with the real OpenSSH client, through the hub"
    local os
    os=$($ssh_line -o BatchMode=yes -o LogLevel=ERROR 'cat /etc/os-release') || fail "ssh through the hub failed"
    grep -q 'bookworm' <<<"$os" || fail "the container did not answer as Debian bookworm: $os"
    grep PRETTY_NAME <<<"$os"

    step "serving a page from the container (python3 -m http.server 80), fetched with curl through the hub's HTTP router"
    local web_url page
    web_url=$(sed -n 's/^web: \([^ ]*\).*/\1/p' <<<"$rented")
    $ssh_line -o BatchMode=yes -o LogLevel=ERROR 'mkdir -p /tmp/www && echo "hello from $(hostname), served through the hub" \
        > /tmp/www/index.html && (setsid python3 -m http.server 80 -d /tmp/www >/dev/null 2>&1 &)' || fail "starting the web server failed"
    wait_for 30 "the page at $web_url" curl -sf -o /dev/null "$web_url"
    page=$(curl -sf "$web_url") || fail "curl $web_url failed"
    grep -q "hello from $DEMO_RENTAL" <<<"$page" || fail "the router answered with something else: $page"
    echo "  curl $web_url -> $page"

    "${cli[@]}" status "$DEMO_RENTAL"
    step "the hub's /health and /metrics (Prometheus) at 127.0.0.1:$((http_port + 1384))"
    local metrics
    curl -sf "http://127.0.0.1:$((http_port + 1384))/health" || fail "/health did not answer 200"
    metrics=$(curl -sf "http://127.0.0.1:$((http_port + 1384))/metrics") || fail "/metrics did not answer"
    grep -E '^edgerent_(devices_online|dtls_sessions|vouchers_total\{result="accepted"\}|rentals\{state="active"\}) ' <<<"$metrics"
    grep -Eq '^edgerent_devices_online 1(\.0)?$' <<<"$metrics" || fail "/metrics does not count the device online"
    step "ending $DEMO_RENTAL: the payer ends it on Ctrl-C (here: SIGTERM) and prints the settlement"
    kill "$DEMO_PAYER_PID" 2>/dev/null || true
    wait "$DEMO_PAYER_PID" 2>/dev/null || true
    DEMO_PAYER_PID=""
    tail -n 2 "$DEMO_DIR/payer.log"
    "${cli[@]}" end "$DEMO_RENTAL" >/dev/null
    wait_for 60 "the rental to end" rental_state ended
    wait_for 30 "Docker to show the container gone" container_gone "$DEMO_RENTAL"
    wait_for 30 "the device to be listed again" market_shows "$device" free
    "${cli[@]}" market
    step "the renter's wallet and the owner's earnings after settlement"
    "${cli[@]}" wallet | sed -n 2p
    "${cli[@]}" earnings --owner demo-owner
    step "checking that ssh to the ended rental is refused"
    if $ssh_line -o BatchMode=yes -o LogLevel=QUIET -o ConnectTimeout=10 true 2>/dev/null; then
        fail "ssh still reaches $DEMO_RENTAL after it ended"
    fi
    DEMO_RENTAL=""
    echo
    echo "demo --check: every step worked"
}

step() { echo "==> $*" >&2; }

fail() {
    echo "demo --check FAILED: $*" >&2
    DEMO_KEEP=yes
    exit 1
}

# wait_for SECONDS WHAT COMMAND...: polls COMMAND until it succeeds, or fails saying what it waited for.
wait_for() {
    local seconds=$1 what=$2
    shift 2
    local end=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < end)) || fail "timed out after ${seconds}s waiting for $what"
        still_running hub "${DEMO_HUB_PID:-}" "$DEMO_DIR/hub.log"
        still_running device "${DEMO_DEVICE_PID:-}" "$DEMO_DIR/device.log"
        sleep 0.5
    done
}

# still_running NAME PID LOG: fails at once, with the log's last lines, when a process the demo started has died.
still_running() {
    [[ -z $2 ]] || kill -0 "$2" 2>/dev/null && return 0
    tail -n 5 "$3" >&2
    fail "the $1 exited (log: $3)"
}

channel_paid() {
    java -jar "$CLIENT_JAR" status "$DEMO_RENTAL" | grep -v '| paid 0 |' | grep -q '| paid '
}

market_shows() { # DEVICE (empty: any) STATUS
    java -jar "$CLIENT_JAR" market | awk -v d="$1" -v s="$2" 'NR>1 && (d=="" || $1==d) && $2==s {found=1} END {exit !found}'
}

rental_state() {
    java -jar "$CLIENT_JAR" rentals | awk -v r="$DEMO_RENTAL" -v s="$1" '$1==r && $3==s {found=1} END {exit !found}'
}

container_gone() {
    [[ -z $(docker ps -aq --filter "label=io.edgerent.rental=$1") ]]
}

demo_teardown() {
    trap - EXIT INT TERM
    # Ctrl-C may have ended whatever reads our output (| tee): keep tearing down regardless.
    trap '' PIPE
    if [[ -n ${DEMO_RENTAL:-} && -n ${DEMO_HUB_PID:-} ]]; then
        step "ending $DEMO_RENTAL"
        java -jar "$CLIENT_JAR" end "$DEMO_RENTAL" >/dev/null 2>&1 &&
            wait_for 30 "the device to wipe $DEMO_RENTAL and list itself again" market_shows '' free || true
    fi
    step "stopping the device and the hub"
    local pid
    for pid in ${DEMO_PAYER_PID:-} ${DEMO_DEVICE_PID:-} ${DEMO_HUB_PID:-}; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n ${DEMO_RENTAL:-} ]]; then
        # The device could not wipe in time: remove the container this demo's device created.
        docker ps -aq --filter "label=io.edgerent.rental=$DEMO_RENTAL" | xargs -r docker rm -f >/dev/null
    fi
    # What a device stopped mid-wipe leaves (a real device finishes it at its next start): its
    # volume's mount, and the device's bridge, which a real device keeps for its next rental.
    local mount_point
    for mount_point in $(awk -v d="$DEMO_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo); do
        umount "$mount_point" || true
    done
    docker network ls -q --filter "label=io.edgerent.device" --filter "name=edgerent-d-" |
        while read -r net; do
            docker network inspect --format '{{len .Containers}}' "$net" | grep -qx 0 &&
                grep -rqs "$(docker network inspect --format '{{index .Labels "io.edgerent.device"}}' "$net")" "$DEMO_DIR" &&
                docker network rm "$net" >/dev/null
        done || true
    if [[ -n ${DEMO_KEEP:-} ]]; then
        echo "logs kept in $DEMO_DIR (hub.log, device.log)" >&2
    else
        rm -rf "$DEMO_DIR"
    fi
}
