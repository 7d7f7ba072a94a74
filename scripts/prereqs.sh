#!/usr/bin/env bash
# Install what edgerent's build, tests and image builds need on a Debian 12 (bookworm)
# machine, and make sure a Docker engine answers. Run as root; safe to run again
# (idempotent, silent when there is nothing to do). Progress goes to stderr.
#
# Docker engine findings (Debian docker.io 20.10.24, on the Firecracker VM this was
# developed on: kernel 6.18, no systemd, PID 1 is not an init that starts services):
#   - No extra dockerd flags are needed; the defaults work, so none are passed:
#     storage driver overlay2 on ext4 (d_type: true), cgroup v1 with the cgroupfs
#     driver, iptables 1.8.9 with the nft backend (docker0 bridge, MASQUERADE,
#     port publishing), dockerd switches net.ipv4.ip_forward on itself and starts its
#     own containerd. Tested: a container on the default bridge gets 172.17.0.x and the
#     host reaches its sshd over TCP by that IP and via -p 127.0.0.1:PORT:22; the
#     container reaches the Debian mirror through NAT.
#   - Only warnings: "kernel does not support cgroup blkio weight(_device)" (so
#     --blkio-weight has no effect here).
#   - Hosts that need something else (e.g. --storage-driver=vfs where overlayfs is
#     missing, --iptables=false) can pass it in EDGERENT_DOCKERD_FLAGS.
# With systemd running, the docker.io package's own unit is started instead.
set -euo pipefail

# python3-prometheus-client: the Prometheus text parser the hub's MetricsEndpointTest reads /metrics with.
PACKAGES=(docker.io debootstrap openssh-client iptables maven openjdk-17-jdk-headless mtools xz-utils fdisk dosfstools e2fsprogs
          qemu-user-static binfmt-support qemu-system-arm cpio libcoap3-bin postgresql chromium chromium-driver
          python3-prometheus-client)
# nodejs and npm: tsc checks docs/grafana-dashboard.json against Grafana's dashboard types (scripts/grafana-schema).
# A node from elsewhere keeps its own npm (NodeSource's nodejs conflicts with Debian's npm package).
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)
DOCKERD=/usr/sbin/dockerd
DOCKERD_LOG=/var/log/edgerent-dockerd.log
DEADLINE_S=60

say() { echo "prereqs: $*" >&2; }
die() { echo "prereqs: error: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root"
command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
    || die "needs a Debian system (dpkg, apt-get)"

# ---- packages ----------------------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true) == installed ]] || missing+=("$p")
done
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
    apt_log=$(mktemp /tmp/edgerent-prereqs-apt.XXXXXX)
    if ! { apt-get update -q && apt-get install -y -q "${missing[@]}"; } >"$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2
        rm -f "$apt_log"
        die "apt-get failed installing ${missing[*]}"
    fi
    rm -f "$apt_log"
fi


# ---- emulation of other architectures (arm64 renter images on amd64) ---------------------
# qemu-user-static registers its interpreters with flag F, so they work in chroots and containers.
if [[ $(dpkg --print-architecture) != arm64 ]]; then
    mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc \
        || die "cannot mount binfmt_misc (needed to run arm64 images under emulation)"
    if ! grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
        say "registering qemu-aarch64 with binfmt_misc"
        update-binfmts --enable qemu-aarch64 >&2 || die "update-binfmts --enable qemu-aarch64 failed"
    fi
fi

# ---- docker engine -----------------------------------------------------------------------
# /usr/local/bin/docker may be another (newer) client; the engine check prefers the
# client that ships with docker.io.
if [[ -x /usr/bin/docker ]]; then docker=/usr/bin/docker
else docker=$(command -v docker) || die "no docker client found"; fi
engine_up() { "$docker" info >/dev/null 2>&1; }

engine_up && exit 0

if [[ -d /run/systemd/system ]]; then
    say "starting docker (systemd)"
    systemctl start docker.service >&2 || die "systemctl start docker failed (journalctl -u docker)"
elif pgrep -x dockerd >/dev/null; then
    say "dockerd is running but not answering yet; waiting"
else
    [[ -x $DOCKERD ]] || die "$DOCKERD not found (is docker.io installed?)"
    # cgroupfs is mounted by systemd normally; mount it ourselves when nobody did.
    if ! mountpoint -q /sys/fs/cgroup && command -v cgroupfs-mount >/dev/null 2>&1; then
        say "mounting cgroups (cgroupfs-mount)"
        cgroupfs-mount >&2
    fi
    # shellcheck disable=SC2206  # word splitting of the extra flags is intended
    flags=(${EDGERENT_DOCKERD_FLAGS:-})
    say "starting $DOCKERD${flags[*]:+ ${flags[*]}} (log: $DOCKERD_LOG)"
    setsid nohup "$DOCKERD" "${flags[@]}" >>"$DOCKERD_LOG" 2>&1 </dev/null &
    dockerd_pid=$!
fi

end=$((SECONDS + DEADLINE_S))
until engine_up; do
    if [[ -n ${dockerd_pid:-} ]] && [[ $(awk '{ print $3 }' "/proc/$dockerd_pid/stat" 2>/dev/null || echo X) == [XZ] ]]; then
        die "dockerd exited during startup; see $DOCKERD_LOG"
    fi
    ((SECONDS < end)) || die "Docker engine did not answer within ${DEADLINE_S}s; see $DOCKERD_LOG"
    sleep 0.5
done
say "docker engine is up ($("$docker" version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
