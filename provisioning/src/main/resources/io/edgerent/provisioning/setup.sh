#!/bin/bash
# edgerent setup, once the network is up: Docker engine, Java 17, then the device as a service.
# With a Kura installer on the boot partition (edgerent/kura*.deb) Kura is installed too and the
# deployment package is left in /opt/edgerent for System -> Packages.
set -euo pipefail
exec >>/var/log/edgerent-setup.log 2>&1
. /var/lib/edgerent/device.conf   # HUB HUB_KEY TOKEN DEVICE_NAME OWNER
export DEBIAN_FRONTEND=noninteractive
# unit NAME: writes NAME.service from standard input ([Unit] and [Service] lines) with a restart policy and
# an [Install] section added, then enables and starts it.
unit() {
    { cat; printf 'Restart=always\nRestartSec=5\n[Install]\nWantedBy=multi-user.target\n'; } >"/etc/systemd/system/$1.service"
    systemctl daemon-reload
    systemctl enable --now "$1.service"
}
# Only what is missing is installed: an image that already has Docker and Java (or a Pi that ran this
# once) needs no network here, only the hub.
missing=()
wanted=(docker.io openjdk-17-jre-headless)
# Where the kernel has AppArmor on, Docker starts containers only with apparmor_parser there.
[[ $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null) != Y ]] || wanted+=(apparmor)
for package in "${wanted[@]}"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null) == installed ]] || missing+=("$package")
done
if ((${#missing[@]})); then
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        apt-get update -q && apt-get install -y -q "${missing[@]}" && break
        echo "apt-get failed (attempt $attempt); retrying in 30 s"; sleep 30
    done
fi
systemctl enable --now docker
BOOT=/boot/firmware
[[ -d $BOOT/edgerent ]] || BOOT=/boot
# The renter image edgerent provision put on the boot partition (docker save's archive): rentals start from
# edgerent/renter-base:latest.
shopt -s nullglob
renter=("$BOOT"/edgerent/renter-image.tar*)
if ((${#renter[@]})) && ! docker image inspect edgerent/renter-base:latest >/dev/null 2>&1; then
    loaded=$(docker load -i "${renter[0]}")
    echo "$loaded"
    image=$(sed -n 's/^Loaded image\( ID\)\{0,1\}: //p' <<<"$loaded" | tail -n 1)
    sync
    docker tag "$image" edgerent/renter-base:latest
fi
# The token goes to the device in an argument file (picocli's @FILE), so no unit file and no `ps` shows it.
# It is on disk (sync) before it leaves device.conf: the power may go between the two.
if [[ -n ${TOKEN:-} ]]; then
    (umask 077 && printf -- '--token %s\n' "$TOKEN" >/var/lib/edgerent/device.args.partial)
    sync
    mv /var/lib/edgerent/device.args.partial /var/lib/edgerent/device.args
    sync
    sed -i 's/^TOKEN=.*/TOKEN=/' /var/lib/edgerent/device.conf
fi
touch /var/lib/edgerent/device.args
kura=(/opt/edgerent/kura*.deb)
if ((${#kura[@]})); then
    apt-get install -y -q "${kura[0]}"
    # Kura runs as kurad, without CAP_SYS_ADMIN: the rentals' encrypted volumes are made, mounted and erased
    # by this small root service, which the edgerent bundles ask through its socket.
    unit edgerent-storage-helper <<'UNIT'
[Unit]
Description=edgerent storage helper (rental volumes for the edgerent bundles in Kura)
Before=kura.service
[Service]
ExecStart=/usr/bin/java -Xmx48m -jar /opt/edgerent/edgerent-device.jar storage-helper --socket /run/edgerent/storage.sock --volumes /var/lib/edgerent/volumes --group kurad
UNIT
    echo "Kura installed: open its web UI, System -> Packages, install /opt/edgerent/bundles/edgerent.dp, then set the hub and token"
else
    # The values come from device.conf (mode 600) at start, so the unit file holds no token; "${HUB_KEY}"
    # (braces) is one argument with its space. The pin makes the device register only with that hub.
    unit edgerent-device <<'UNIT'
[Unit]
Description=edgerent device (the edge bundles on Apache Felix)
After=docker.service network-online.target
Wants=network-online.target
[Service]
EnvironmentFile=/var/lib/edgerent/device.conf
ExecStart=/usr/bin/java -Xmx64m -jar /opt/edgerent/edgerent-device.jar --hub ${HUB} --hub-key "${HUB_KEY}" --data /var/lib/edgerent/device @/var/lib/edgerent/device.args
UNIT
    # What an owner must act on (the device's warnings and errors: a hub that shows another key, a spent
    # token) also goes to the console: the screen of a Pi, or its serial port.
    unit edgerent-console <<'UNIT'
[Unit]
Description=edgerent: the device's warnings and errors on the console
After=edgerent-device.service
[Service]
ExecStart=/bin/sh -c 'journalctl -b -f -n all -o cat -p warning -u edgerent-device | while IFS= read -r line; do echo "edgerent device: $$line" >/dev/kmsg; done'
UNIT
fi
sync
touch /var/lib/edgerent/setup-done
