#!/usr/bin/env bash
# Build the virtual Pi's disk image: what a Raspberry Pi OS Lite card looks like to edgerent.
# Usage and details: hardware-tests/virtual-pi/build-image.sh --help, hardware-tests/virtual-pi/README.md.
set -euo pipefail

SUITE=bookworm
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=build-image.sh
CACHE=${EDGERENT_CACHE:-/var/cache/edgerent}/virtual-pi
BOOT_MB=256
ROOT_MB=6144

usage() {
    cat <<EOF
Usage: hardware-tests/virtual-pi/build-image.sh [--verbose]

Builds a Raspberry Pi OS-like arm64 disk image for qemu-system-aarch64 and prints its path:
an MBR disk (signature fixed by the inputs) with
  1: FAT32 "bootfs" ($BOOT_MB MiB): config.txt, cmdline.txt (root=PARTUUID=...-02, console=serial0),
     kernel8.img and initramfs8 (the VM's firmware, hardware-tests/virtual-pi/boot.sh, boots them);
  2: ext4 "rootfs" ($ROOT_MB MiB, sparse): Debian $SUITE arm64 (debootstrap under qemu-user-static)
     with the packages listed in virtual-pi/packages, /boot/firmware in fstab, systemd-networkd (DHCP
     on every wired interface), sshd with host keys made at first start, hostname raspberrypi.
The initramfs is made here on the host, once, from busybox-static and the few modules the root needs
(virtio, ext4): running update-initramfs under emulation is what made such builds take half an hour.

Cache: $CACHE/HASH/pi.img, HASH being sha256 over this script, packages and init; a second run prints
the cached path at once. EDGERENT_CACHE moves the cache. Needs root, debootstrap, mtools,
dosfstools, fdisk, e2fsprogs and qemu-aarch64 in binfmt_misc (scripts/prereqs.sh).
  --verbose   stream debootstrap/apt output to stderr
Output: one line on stdout, the image's path. Progress on stderr.
EOF
}

say() { echo "$PROG: $*" >&2; }
die() { echo "$PROG: error: $*" >&2; exit 1; }

verbose=0
while (($#)); do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        -v|--verbose) verbose=1; shift ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

# The image's inputs: this script, the package list and the initramfs's init (not boot.sh, which only runs it).
hash=$( (cd "$HERE" && sha256sum build-image.sh packages init) | sha256sum | cut -d' ' -f1)
out=$CACHE/$hash
if [[ -f $out/pi.img ]]; then
    say "cached: $out/pi.img"
    echo "$out/pi.img"
    exit 0
fi
[[ $(id -u) -eq 0 ]] || die "building needs root (debootstrap, chroot)"
for tool in debootstrap mkfs.vfat mcopy sfdisk mkfs.ext4; do
    command -v "$tool" >/dev/null || die "$tool not found: run scripts/prereqs.sh"
done
grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null \
    || die "qemu-aarch64 is not registered with binfmt_misc: run scripts/prereqs.sh"

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
if [[ -f $out/pi.img ]]; then echo "$out/pi.img"; exit 0; fi

sources=/etc/apt/sources.list.d/debian.sources
mirror=${EDGERENT_DEBIAN_MIRROR:-$([[ -r $sources ]] && awk '$1 == "URIs:" && $2 !~ /security/ { print $2; exit }' "$sources")}
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d /var/tmp/edgerent-virtual-pi.XXXXXX)
root=$work/rootfs
log=$work/build.log
cleanup() {
    local rc=$? m
    if ((rc != 0)) && ((verbose == 0)) && [[ -s $log ]]; then
        say "build failed; last lines of its log:"; tail -n 30 "$log" >&2 || true
    fi
    for m in $(awk -v p="$work/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
run() { if ((verbose)); then "$@" 2>&1 | tee -a "$log" >&2; else "$@" >>"$log" 2>&1; fi; }
in_root() { run chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

start=$SECONDS
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$HERE/packages")
say "debootstrap $SUITE/arm64 minbase from $mirror (under qemu-user: a few minutes)"
run debootstrap --variant=minbase --arch=arm64 "$SUITE" "$root" "$mirror"
say "base in $((SECONDS - start)) s; installing ${packages[*]}"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" # start nothing in the chroot
chmod 755 "$root/usr/sbin/policy-rc.d"
# The kernel's postinst would make an initramfs under emulation; the initramfs is made below instead.
in_root dpkg-divert --local --rename --add /usr/sbin/update-initramfs
printf '#!/bin/sh\nexit 0\n' >"$root/usr/sbin/update-initramfs"
chmod 755 "$root/usr/sbin/update-initramfs"
echo 'force-unsafe-io' >"$root/etc/dpkg/dpkg.cfg.d/edgerent-build"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
in_root apt-get -q update
in_root apt-get -q -y --no-install-recommends install "${packages[@]}"
in_root apt-get clean
umount "$root/proc"
rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/dpkg/dpkg.cfg.d/edgerent-build" "$root"/var/lib/apt/lists/*_Packages
say "packages in $((SECONDS - start)) s"

kernel=$(cd "$root/boot" && ls vmlinuz-* | sort -V | tail -n1)
version=${kernel#vmlinuz-}
sig=$(printf %s "$hash" | cut -c1-8)
partuuid_boot=$sig-01 partuuid_root=$sig-02

# ---- the root's own configuration: what Raspberry Pi OS Lite brings ---------------------------------
echo raspberrypi >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\traspberrypi\n' >"$root/etc/hosts"
cat >"$root/etc/fstab" <<EOF
PARTUUID=$partuuid_boot  /boot/firmware  vfat  defaults          0  2
PARTUUID=$partuuid_root  /               ext4  defaults,noatime  0  1
EOF
mkdir -p "$root/boot/firmware"
# Wired interfaces only: Docker's bridges (docker0, the device's er-*) and veths are Docker's to configure,
# as NetworkManager leaves them alone on Raspberry Pi OS.
cat >"$root/etc/systemd/network/20-wired.network" <<'EOF'
[Match]
Name=en* eth*
Type=ether
[Network]
DHCP=yes
EOF
ln -sf /lib/systemd/system/systemd-networkd.service "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
mkdir -p "$root/etc/systemd/system/network-online.target.wants"
ln -sf /lib/systemd/system/systemd-networkd-wait-online.service \
    "$root/etc/systemd/system/network-online.target.wants/systemd-networkd-wait-online.service"
# Raspberry Pi OS makes the host keys at first boot (regenerate_ssh_host_keys); none are shipped.
rm -f "$root"/etc/ssh/ssh_host_*
cat >"$root/etc/systemd/system/regenerate_ssh_host_keys.service" <<'UNIT'
[Unit]
Description=Make this machine's SSH host keys (first boot)
Before=ssh.service
ConditionPathExistsGlob=!/etc/ssh/ssh_host_*_key
[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/regenerate_ssh_host_keys.service \
    "$root/etc/systemd/system/multi-user.target.wants/regenerate_ssh_host_keys.service"
: >"$root/etc/machine-id"
: >"$root/etc/resolv.conf"

# ---- the initramfs: busybox, the modules the root needs, init ---------------------------------------
say "initramfs for $version"
initrd=$work/initramfs
mkdir -p "$initrd"/{bin,dev,proc,sys,modules}
cp "$root/bin/busybox" "$initrd/bin/busybox"
install -m 755 "$HERE/init" "$initrd/init"
moddir=$root/lib/modules/$version
: >"$initrd/modules.load"
declare -A seen=()
add_module() { # add a module after its dependencies, from modules.dep (built-in ones are not listed)
    local path deps d
    path=$(awk -v m="/$1.ko" 'index($1, m) { sub(":", "", $1); print $1; exit }' "$moddir/modules.dep")
    [[ -n $path && -z ${seen[$path]:-} ]] || return 0
    seen[$path]=1
    deps=$(awk -v p="$path:" '$1 == p { $1 = ""; print; exit }' "$moddir/modules.dep")
    for d in $deps; do add_module "$(basename "$d" | sed 's/\.ko.*//')"; done
    case $path in
        *.xz) xz -dc "$moddir/$path" >"$initrd/modules/$(basename "${path%.xz}")" ;;
        *) cp "$moddir/$path" "$initrd/modules/" ;;
    esac
    basename "${path%.xz}" >>"$initrd/modules.load"
}
for m in virtio_mmio virtio_pci virtio_blk crc32c_generic ext4; do add_module "$m"; done
(cd "$initrd" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9) >"$work/initramfs8"

# ---- the disk: MBR, FAT boot partition, ext4 root ----------------------------------------------------
say "disk image"
mkdir -p "$work/boot"
cp "$root/boot/$kernel" "$work/boot/kernel8.img"
cp "$work/initramfs8" "$work/boot/initramfs8"
printf 'console=serial0,115200 console=tty1 root=PARTUUID=%s rootfstype=ext4 fsck.repair=yes rootwait\n' \
    "$partuuid_root" >"$work/boot/cmdline.txt"
cat >"$work/boot/config.txt" <<'EOF'
# The virtual Pi: its firmware (hardware-tests/virtual-pi/boot.sh) boots kernel8.img with initramfs8
# and this partition's cmdline.txt, as the Pi's does with arm_64bit=1 and auto_initramfs=1.
arm_64bit=1
auto_initramfs=1
EOF
start_boot=8192
boot_sectors=$((BOOT_MB * 2048))
start_root=$((start_boot + boot_sectors))
root_sectors=$((ROOT_MB * 2048))
mkfs.vfat -F 32 -n bootfs -C "$work/boot.fat" $((BOOT_MB * 1024)) >>"$log" 2>&1
mcopy -s -i "$work/boot.fat" "$work"/boot/* ::/
mkfs.ext4 -q -L rootfs -d "$root" -E root_owner=0:0 "$work/root.ext4" "${ROOT_MB}M" >>"$log" 2>&1
disk=$work/pi.img
truncate -s $(((start_root + root_sectors) * 512)) "$disk"
sfdisk -q "$disk" >>"$log" <<EOF
label: dos
label-id: 0x$sig
start=$start_boot, size=$boot_sectors, type=c
start=$start_root, size=$root_sectors, type=83
EOF
dd if="$work/boot.fat" of="$disk" bs=512 seek=$start_boot conv=notrunc,sparse status=none
dd if="$work/root.ext4" of="$disk" bs=1M seek=$((start_root / 2048)) conv=notrunc,sparse status=none
mkdir -p "$out"
cp "$log" "$out/build.log"
# Whole or not at all: /var/tmp and the cache may be on different file systems (mv then copies).
mv "$disk" "$out/pi.img.partial"
mv "$out/pi.img.partial" "$out/pi.img"
# Cards of earlier inputs are of no more use (each is a few GB of disk).
find "$CACHE" -mindepth 1 -maxdepth 1 -type d ! -name "$hash" -exec rm -rf {} +
say "built $out/pi.img (kernel $version) in $((SECONDS - start)) s"
echo "$out/pi.img"
