#!/bin/bash
# edgerent first boot, run once as root by systemd.run (cmdline.txt) before anything else starts.
# Sets the hostname, the owner's SSH key and Wi-Fi from edgerent/device.conf on the boot partition,
# then leaves a one-shot unit that installs Docker and Java (and Kura, if its installer is here) once
# the network is up, and starts the device with its one-time token. Logs to /var/log/edgerent-firstboot.log,
# and each step to the kernel log (the console).
#
# Every step may run twice: the power can go at any moment, and the hook in cmdline.txt is taken out only
# once everything is written, so the next boot does the job again. On a failure the hook is taken out too
# (systemd.run_failure_action reboots into the system as it is, for the owner to look at over SSH).
set -euo pipefail
BOOT=/boot/firmware
say() {
    echo "$(date -u +%FT%TZ) $*"
    echo "edgerent first boot: $*" >/dev/kmsg 2>/dev/null || true
}
unhook() {
    sed -i 's# systemd.run=[^ ]*edgerent/firstboot.sh[^ ]*##; s# systemd.run_success_action=reboot##;
            s# systemd.run_failure_action=reboot##; s# systemd.unit=kernel-command-line.target##' "$BOOT/cmdline.txt"
    sync
}
# Any way out but the end (a failed command, an unset variable) takes the hook out, so a card that cannot
# be set up still boots, for its owner to look at over SSH, rather than rebooting for ever.
trap 'rc=$?; ((rc == 0)) || { say "failed ($rc); see /var/log/edgerent-firstboot.log"; unhook; }' EXIT
[[ -d $BOOT/edgerent ]] || BOOT=/boot
exec >>/var/log/edgerent-firstboot.log 2>&1
say "started"
# shellcheck disable=SC1091
. "$BOOT/edgerent/device.conf" # HUB HUB_KEY TOKEN DEVICE_NAME OWNER
echo "$DEVICE_NAME" >/etc/hostname
sed -i "s/^127\.0\.1\.1.*/127.0.1.1\t$DEVICE_NAME/" /etc/hosts
if [[ -s $BOOT/edgerent/authorized_keys ]]; then
    install -d -m 700 /root/.ssh
    touch /root/.ssh/authorized_keys
    while IFS= read -r key || [[ -n $key ]]; do
        [[ -z $key ]] || grep -qxF -- "$key" /root/.ssh/authorized_keys || echo "$key" >>/root/.ssh/authorized_keys
    done <"$BOOT/edgerent/authorized_keys"
    chmod 600 /root/.ssh/authorized_keys
    systemctl enable ssh || true
fi
if [[ -s $BOOT/edgerent/wifi.nmconnection ]]; then
    install -d -m 700 /etc/NetworkManager/system-connections
    install -m 600 "$BOOT/edgerent/wifi.nmconnection" /etc/NetworkManager/system-connections/edgerent-wifi.nmconnection
fi
install -d /opt/edgerent
install -d /var/lib/edgerent
cp -r "$BOOT/edgerent/device/." /opt/edgerent/
# The token is copied to the root file system (mode 600) before it leaves the boot partition, which anyone
# holding the card can read; a second run, after the boot partition's copy was blanked, keeps the first copy.
if [[ -n ${TOKEN:-} || ! -f /var/lib/edgerent/device.conf ]]; then
    install -m 600 "$BOOT/edgerent/device.conf" /var/lib/edgerent/device.conf
fi
cat >/etc/systemd/system/edgerent-setup.service <<'UNIT'
[Unit]
Description=edgerent: install Docker and Java, then start the device (once)
Wants=network-online.target
After=network-online.target
ConditionPathExists=!/var/lib/edgerent/setup-done
[Service]
Type=oneshot
ExecStart=/opt/edgerent/setup.sh
Restart=on-failure
RestartSec=30
[Install]
WantedBy=multi-user.target
UNIT
install -m 755 "$BOOT/edgerent/setup.sh" /opt/edgerent/setup.sh
systemctl enable edgerent-setup.service
sync
sed -i 's/^TOKEN=.*/TOKEN=/' "$BOOT/edgerent/device.conf"
sync
unhook
say "done; rebooting into setup"
