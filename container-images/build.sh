#!/usr/bin/env bash
# Build an edgerent renter image without a registry: debootstrap -> tar -> docker load.
# Usage and details: container-images/build.sh --help, container-images/README.md.
set -euo pipefail

SUITE=bookworm
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=build.sh

usage() {
    cat <<EOF
Usage: container-images/build.sh [--arch ARCH] [--verbose] NAME

Builds the renter image container-images/NAME/ as a Debian $SUITE minbase rootfs
(debootstrap, no container registry) and imports it into the local Docker engine.

  NAME        image folder under container-images/, e.g. renter-base. It holds
                packages        extra Debian packages, one per line (# comments)
                edgerent-start  optional entrypoint -> /usr/local/sbin/edgerent-start, the CMD
                bin/            optional programs -> /usr/local/bin/
  --arch A    Debian architecture (default: this host's, $(dpkg --print-architecture 2>/dev/null || echo '?')).
              Another one (e.g. arm64 on amd64) is built and later run under emulation:
              qemu-user-static with binfmt_misc (scripts/prereqs.sh sets it up).
  --verbose   stream debootstrap/apt output to stderr (default: only on failure)
  -h, --help  this text

Output: exactly one line on stdout, the image id (sha256:...). Progress goes to stderr.

Cache: an inputs hash (sha256 over NAME, suite, arch, this script and every file in
NAME/) is stored as the label edgerent.inputs. If an image with that label exists,
it is re-tagged edgerent/NAME:latest and printed, without building anything.

Tags: edgerent/NAME:ARCH and edgerent/NAME:<first 12 hex of the image id>; a build for
this host's architecture is also edgerent/NAME:latest.

Environment: EDGERENT_DEBIAN_MIRROR (default: the first URIs of
/etc/apt/sources.list.d/debian.sources, else http://deb.debian.org/debian),
EDGERENT_DEBIAN_SECURITY_MIRROR (default likewise, .../debian-security),
DOCKER (docker client, default: docker).
Needs root, debootstrap and a running Docker engine (see scripts/prereqs.sh).
EOF
}

say() { echo "$PROG: $*" >&2; }
die() { echo "$PROG: error: $*" >&2; exit 1; }

name="" arch="" verbose=0
while (($#)); do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --arch) (($# >= 2)) || die "--arch needs a value"; arch=$2; shift 2 ;;
        --arch=*) arch=${1#--arch=}; shift ;;
        -v|--verbose) verbose=1; shift ;;
        -*) usage >&2; die "unknown option: $1" ;;
        *) [[ -z $name ]] || die "only one NAME, got '$name' and '$1'"; name=$1; shift ;;
    esac
done
[[ -n $name ]] || { usage >&2; die "missing NAME (e.g. renter-base)"; }
[[ $name =~ ^[a-z0-9][a-z0-9._-]*$ ]] || die "bad NAME '$name' (lower-case letters, digits, . _ -)"
src=$HERE/$name
[[ -d $src ]] || die "no image folder $src"

host_arch=$(dpkg --print-architecture 2>/dev/null) || die "dpkg not found: this script needs a Debian host"
arch=${arch:-$host_arch}
[[ $arch =~ ^[a-z0-9]+$ ]] || die "bad --arch '$arch' (a Debian architecture such as amd64 or arm64)"
if [[ $arch != "$host_arch" ]]; then
    # debootstrap's second stage and apt run the foreign binaries through qemu-user-static,
    # registered with binfmt_misc (flag F, so it works in chroots and containers too).
    qemu=$(case $arch in arm64) echo aarch64 ;; armhf|armel) echo arm ;; i386) echo i386 ;; *) echo "$arch" ;; esac)
    [[ -e /proc/sys/fs/binfmt_misc/qemu-$qemu ]] && grep -qx enabled "/proc/sys/fs/binfmt_misc/qemu-$qemu" \
        || die "--arch $arch needs qemu-user-static registered with binfmt_misc (qemu-$qemu): run scripts/prereqs.sh"
fi

DOCKER=${DOCKER:-docker}
command -v "$DOCKER" >/dev/null 2>&1 || die "docker client '$DOCKER' not found (install docker.io: scripts/prereqs.sh)"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found (install it: scripts/prereqs.sh)"
"$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1 \
    || die "Docker engine not reachable with '$DOCKER' (start it: scripts/prereqs.sh)"

# ---- inputs hash and cache lookup -------------------------------------------------------
inputs_hash() {
    {
        printf 'name=%s\nsuite=%s\narch=%s\n' "$name" "$SUITE" "$arch"
        printf 'build.sh %s\n' "$(sha256sum < "${BASH_SOURCE[0]}" | cut -d' ' -f1)"
        (cd "$src" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
    } | sha256sum | cut -d' ' -f1
}
hash=$(inputs_hash)
repo=edgerent/$name
tags=("$arch")
[[ $arch == "$host_arch" ]] && tags+=(latest)
platform=linux/$(case $arch in armhf) echo arm/v7 ;; armel) echo arm/v6 ;; i386) echo 386 ;; *) echo "$arch" ;; esac)

tag_all() { # $1 = image id
    local t
    for t in "${tags[@]}"; do "$DOCKER" tag "$1" "$repo:$t"; done
}

# use_cached WHY: when an image with these inputs exists, tag it, print it and stop.
use_cached() {
    local hit
    hit=$("$DOCKER" image ls -q --no-trunc --filter "label=edgerent.inputs=$hash" | head -n1)
    [[ -n $hit ]] || return 0
    tag_all "$hit"
    say "$1: $repo:$arch ($hit), inputs $hash"
    echo "$hit"
    exit 0
}
use_cached "cache hit"

# ---- build ------------------------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || die "building needs root (debootstrap)"

# One build per NAME at a time; a second concurrent caller waits, then hits the cache.
lock_dir=/run/lock; [[ -d $lock_dir && -w $lock_dir ]] || lock_dir=/var/tmp
exec 9>"$lock_dir/edgerent-image-$name-$arch.lock"
flock 9
use_cached "cache hit after waiting for a concurrent build"

sources=/etc/apt/sources.list.d/debian.sources
first_uri() { # $1 = pattern the URI must match, $2 = pattern it must not match
    [[ -r $sources ]] || return 0
    awk -v want="$1" -v skip="$2" '$1 == "URIs:" { for (i = 2; i <= NF; i++)
        if ($i ~ want && $i !~ skip) { print $i; exit } }' "$sources"
}
mirror=${EDGERENT_DEBIAN_MIRROR:-$(first_uri '/debian/?$' 'security')}
mirror=${mirror:-http://deb.debian.org/debian}
security=${EDGERENT_DEBIAN_SECURITY_MIRROR:-$(first_uri 'security' '^$')}
security=${security:-http://deb.debian.org/debian-security}

work=$(mktemp -d /var/tmp/edgerent-build-"$name".XXXXXX)
rootfs=$work/rootfs
log=$work/build.log
cleanup() {
    local rc=$?
    if ((rc != 0)) && [[ -s $log ]] && ((verbose == 0)); then
        say "build failed; last lines of the build log:"
        tail -n 30 "$log" >&2 || true
    fi
    # Never rm -rf through a mount (debootstrap or our chroot may leave /proc etc. mounted).
    local m
    for m in $(awk -v p="$work/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run() { # run a command, output to the build log (and stderr with --verbose)
    if ((verbose)); then "$@" 2>&1 | tee -a "$log" >&2; else "$@" >>"$log" 2>&1; fi
}

mapfile -t extra < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$src/packages" 2>/dev/null || true)
include=$(IFS=,; echo "${extra[*]}")
start=$SECONDS
say "building $repo:$arch: debootstrap $SUITE/$arch minbase + ${include:-nothing} from $mirror (in $work)"
run debootstrap --variant=minbase --arch="$arch" ${include:+--include="$include"} \
    "$SUITE" "$rootfs" "$mirror"

say "applying $SUITE-updates and $SUITE-security"
cat > "$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
rm -f "$rootfs/etc/apt/sources.list"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"   # start no services in the chroot
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
mount -t proc proc "$rootfs/proc"
run chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get -q update
run chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get -q -y \
    -o Dpkg::Options::=--force-confold dist-upgrade
run chroot "$rootfs" apt-get clean
umount "$rootfs/proc"

say "slimming and installing the entrypoint"
rm -f "$rootfs/usr/sbin/policy-rc.d"
# Future installs inside the container skip docs too (like Debian's "slim" images).
cat > "$rootfs/etc/dpkg/dpkg.cfg.d/edgerent-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
find "$rootfs/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/lintian/*
[[ ! -d $rootfs/usr/share/locale ]] ||
    find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
    "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old "$rootfs"/tmp/* "$rootfs"/var/tmp/*
find "$rootfs/var/log" -type f -exec truncate -s 0 {} +   # keep lastlog/wtmp: sshd expects them
# Nothing host- or build-specific: per-container SSH host keys are made at start
# (edgerent-start), Docker provides hostname/hosts/resolv.conf.
rm -f "$rootfs"/etc/ssh/ssh_host_*
: > "$rootfs/etc/machine-id"
: > "$rootfs/etc/resolv.conf"
echo localhost > "$rootfs/etc/hostname"
if [[ -f $src/edgerent-start ]]; then
    install -m 0755 -o root -g root "$src/edgerent-start" "$rootfs/usr/local/sbin/edgerent-start"
fi
if [[ -d $src/bin ]]; then
    for program in "$src"/bin/*; do
        install -m 0755 -o root -g root "$program" "$rootfs/usr/local/bin/$(basename "$program")"
    done
fi

say "loading into docker"
# An image archive made here (docker save's format: manifest.json, the config, one layer) rather
# than `docker import`, because its config names the architecture: an arm64 image must say arm64
# for Docker to run it under emulation, and `docker import --platform` needs an experimental engine.
image=$work/image
mkdir -p "$image"
tar -C "$rootfs" --numeric-owner --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' -cf "$image/layer.tar" .
diff_id=sha256:$(sha256sum "$image/layer.tar" | cut -d' ' -f1)
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
entrypoint=/bin/bash exposed=''
if [[ -f $src/edgerent-start ]]; then entrypoint=/usr/local/sbin/edgerent-start exposed='"ExposedPorts":{"22/tcp":{}},'; fi
variant=$(case $arch in arm64) echo '"variant":"v8",' ;; armhf) echo '"variant":"v7",' ;; *) echo '' ;; esac)
goarch=${platform#linux/}; goarch=${goarch%%/*}
printf '%s' "{\"architecture\":\"$goarch\",$variant\"os\":\"linux\",\"created\":\"$created\",\
\"config\":{\"Cmd\":[\"$entrypoint\"],$exposed\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"LANG=C.UTF-8\"],\
\"Labels\":{\"edgerent.inputs\":\"$hash\",\"edgerent.image\":\"$name\",\"edgerent.suite\":\"$SUITE\",\"edgerent.arch\":\"$arch\",\
\"org.opencontainers.image.title\":\"$repo\",\"org.opencontainers.image.created\":\"$created\"}},\
\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"$diff_id\"]},\
\"history\":[{\"created\":\"$created\",\"comment\":\"edgerent $name $SUITE/$arch inputs=$hash\"}]}" > "$image/config.json"
printf '[{"Config":"config.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$repo:$arch" > "$image/manifest.json"
tar -C "$image" -c manifest.json config.json layer.tar | "$DOCKER" load >>"$log" 2>&1 || die "docker load failed"
id=$("$DOCKER" image inspect --format '{{.Id}}' "$repo:$arch" 2>>"$log")
[[ $id == "sha256:$(sha256sum "$image/config.json" | cut -d' ' -f1)" ]] || die "docker load gave '$id', not the image just made"
short=${id#sha256:}; short=${short:0:12}
tag_all "$id"
"$DOCKER" tag "$id" "$repo:$short"
size=$("$DOCKER" image inspect --format '{{.Size}}' "$id")
say "built $repo:$short (and :${tags[*]}), $((size / 1000000)) MB, in $((SECONDS - start)) s"
echo "$id"
