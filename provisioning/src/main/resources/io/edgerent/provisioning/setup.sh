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
for attempt in 1 2 3 4 5; do
    apt-get update -q && apt-get install -y -q docker.io openjdk-17-jre-headless && break
    echo "apt-get failed (attempt $attempt); retrying in 30 s"; sleep 30
done
systemctl enable --now docker
shopt -s nullglob
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
ExecStart=/usr/bin/java -Xmx64m -jar /opt/edgerent/edgerent-device.jar --hub ${HUB} --hub-key "${HUB_KEY}" --data /var/lib/edgerent/device --token ${TOKEN}
UNIT
fi
touch /var/lib/edgerent/setup-done
