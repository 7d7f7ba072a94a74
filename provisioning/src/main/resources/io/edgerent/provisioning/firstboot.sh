#!/bin/bash
# edgerent first boot, run once as root by systemd.run (cmdline.txt) before anything else starts.
# Sets the hostname, the owner's SSH key and Wi-Fi from edgerent/device.conf on the boot partition,
# then leaves a one-shot unit that installs Docker and Java (and Kura, if its installer is here) once
# the network is up, and starts the device with its one-time token. Logs to /var/log/edgerent-firstboot.log.
set -euo pipefail
BOOT=/boot/firmware
[[ -d $BOOT/edgerent ]] || BOOT=/boot
exec >>/var/log/edgerent-firstboot.log 2>&1
echo "edgerent first boot $(date -u +%FT%TZ)"
# Run once: take the hook out of cmdline.txt first, so a failure below cannot loop the boot.
sed -i 's# systemd.run=[^ ]*edgerent/firstboot.sh[^ ]*##; s# systemd.run_success_action=reboot##; s# systemd.unit=kernel-command-line.target##' "$BOOT/cmdline.txt"
# shellcheck disable=SC1091
. "$BOOT/edgerent/device.conf"   # HUB HUB_KEY TOKEN DEVICE_NAME OWNER
echo "$DEVICE_NAME" >/etc/hostname
sed -i "s/^127\.0\.1\.1.*/127.0.1.1\t$DEVICE_NAME/" /etc/hosts
if [[ -s $BOOT/edgerent/authorized_keys ]]; then
    install -d -m 700 /root/.ssh
    cat "$BOOT/edgerent/authorized_keys" >>/root/.ssh/authorized_keys
    chmod 600 /root/.ssh/authorized_keys
    systemctl enable ssh || true
fi
if [[ -s $BOOT/edgerent/wifi.nmconnection ]]; then
    install -m 600 "$BOOT/edgerent/wifi.nmconnection" /etc/NetworkManager/system-connections/edgerent-wifi.nmconnection
fi
install -d /opt/edgerent /var/lib/edgerent
cp -r "$BOOT/edgerent/device/." /opt/edgerent/
install -m 600 "$BOOT/edgerent/device.conf" /var/lib/edgerent/device.conf
cat >/etc/systemd/system/edgerent-setup.service <<'UNIT'
[Unit]
Description=edgerent: install Docker and Java, then start the device (once)
Wants=network-online.target
After=network-online.target
ConditionPathExists=!/var/lib/edgerent/setup-done
[Service]
Type=oneshot
ExecStart=/opt/edgerent/setup.sh
[Install]
WantedBy=multi-user.target
UNIT
install -m 755 "$BOOT/edgerent/setup.sh" /opt/edgerent/setup.sh
systemctl enable edgerent-setup.service
# The token now lives only on the root file system (mode 600); the boot partition is readable by anyone holding the card.
sed -i 's/^TOKEN=.*/TOKEN=/' "$BOOT/edgerent/device.conf"
echo "first boot done; rebooting into setup"
