#!/usr/bin/env bash
# The virtual Pi's power switch and firmware: boots a Pi disk image in qemu-system-aarch64 as the Pi's
# firmware boots its card, again at every reboot. Usage: boot.sh --help.
set -euo pipefail
PROG=boot.sh

usage() {
    cat <<'EOF'
Usage: hardware-tests/virtual-pi/boot.sh [options] IMAGE

Powers on a virtual Raspberry Pi with the card IMAGE and keeps it on until it powers off (or this
script is stopped). At every boot it does what the Pi's firmware does with the boot partition: reads
cmdline.txt, kernel8.img and initramfs8 from it (so a cmdline.txt changed by the last boot is the one
used), points console=serial0 at the UART (ttyAMA0 on qemu's virt board), and starts the kernel.
A reboot inside the Pi boots it again from the card; a power-off ends this script.

  --console FILE   append the serial console to FILE (default: this script's stdout)
  --ssh PORT       forward 127.0.0.1:PORT to the Pi's port 22
  --memory MB      RAM (default 2048)
  --cpus N         CPU cores (default 2)
  -h, --help       this text

Network: qemu's user-mode network (the Pi gets 10.0.2.15 by DHCP, 10.0.2.2 is this machine's
127.0.0.1). Run it inside a network namespace with only loopback (ip netns exec) for a Pi whose only
way out is this machine's loopback.
Exit: 0 when the Pi powered off, 1 on a qemu failure, 2 on wrong use.
EOF
}
die() { echo "$PROG: error: $*" >&2; exit "${2:-2}"; }

console="" ssh_port="" memory=2048 cpus=2 image=""
while (($#)); do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --console) console=${2:?--console needs a file}; shift 2 ;;
        --ssh) ssh_port=${2:?--ssh needs a port}; shift 2 ;;
        --memory) memory=${2:?--memory needs MB}; shift 2 ;;
        --cpus) cpus=${2:?--cpus needs a number}; shift 2 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [[ -z $image ]] || die "one IMAGE only"; image=$1; shift ;;
    esac
done
[[ -n $image ]] || die "IMAGE is needed (see --help)"
[[ -f $image ]] || die "no image at $image"
[[ -z $ssh_port || $ssh_port =~ ^[0-9]+$ ]] || die "--ssh takes a port number, got $ssh_port"
command -v qemu-system-aarch64 >/dev/null || die "qemu-system-aarch64 not found: run scripts/prereqs.sh" 1

# The boot partition: the first FAT partition of the MBR, as the Pi's boot ROM finds it.
start=$(sfdisk -d "$image" 2>/dev/null | awk -F'[:,]' '/ : start=/ && / type=(c|b|e|6)(,|$)/ {
    split($2, f, "="); gsub(/ /, "", f[2]); print f[2]; exit }')
[[ -n $start ]] || die "no FAT boot partition in $image" 1
boot="$image@@$((start * 512))"
work=$(mktemp -d /tmp/edgerent-virtual-pi.XXXXXX)
qemu_pid=""
cleanup() {
    # A power cut: qemu ends at once (SIGKILL), and is gone (its lock on the card released) before this ends.
    if [[ -n $qemu_pid ]]; then
        kill -KILL "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

boots=0
while :; do
    boots=$((boots + 1))
    for file in cmdline.txt kernel8.img initramfs8; do
        MTOOLS_SKIP_CHECK=1 mcopy -o -n -i "$boot" "::/$file" "$work/$file" 2>/dev/null \
            || die "the boot partition has no $file" 1
    done
    cmdline=$(tr '\n' ' ' <"$work/cmdline.txt" | sed 's/console=serial0/console=ttyAMA0/; s/  */ /g; s/ $//')
    log=${console:-$work/serial}
    seen=$(stat -c %s "$log" 2>/dev/null || echo 0)
    net=user,id=net0${ssh_port:+,hostfwd=tcp:127.0.0.1:$ssh_port-:22}
    echo "$PROG: boot $boots: $cmdline" >&2
    qemu-system-aarch64 -M virt -cpu cortex-a72 -smp "$cpus" -m "$memory" \
        -display none -monitor none -chardev file,id=uart,path="$log",append=on -serial chardev:uart -no-reboot \
        -kernel "$work/kernel8.img" -initrd "$work/initramfs8" -append "$cmdline" \
        -drive if=none,id=card,file="$image",format=raw -device virtio-blk-pci,drive=card \
        -netdev "$net" -device virtio-net-pci,netdev=net0,romfile= \
        -device virtio-rng-pci &
    qemu_pid=$!
    rc=0
    wait "$qemu_pid" || rc=$?
    qemu_pid=""
    [[ -n $console ]] || tail -c +$((seen + 1)) "$log"
    ((rc == 0)) || die "qemu stopped with $rc" 1
    if tail -c +$((seen + 1)) "$log" | grep -q "reboot: Power down"; then
        echo "$PROG: the Pi powered off" >&2
        exit 0
    fi
    # -no-reboot: qemu ends when the Pi reboots; the next turn boots it again from its card.
    echo "$PROG: the Pi rebooted" >&2
done
