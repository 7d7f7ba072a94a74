#!/bin/bash
# Builds the Debian package of the hub and the command line, edgerent_VERSION_all.deb, from the jars the
# Maven build left in hub/target and client/target. Called by the packaging module (mvn package), so
# `./edgerent build` and the test command make it. Needs dpkg-deb and Java (to write hub.conf).
#   /usr/bin/edgerent                      `edgerent hub ...` runs the hub; every other command is the client
#   /usr/share/edgerent/                   the two jars and their libraries (one lib/ for both)
#   /lib/systemd/system/edgerent-hub.service   hardened unit, as the system user edgerent
#   /etc/edgerent/hub.conf                 every setting commented with its default (a conffile)
#   /var/lib/edgerent                      state, made by postinst (kept on purge)
set -euo pipefail
version=${1:?usage: build-deb.sh MAVEN_VERSION OUT_DIR [JAR_TOOL]}
out=${2:?usage: build-deb.sh MAVEN_VERSION OUT_DIR [JAR_TOOL]}
jar_tool=${3:-jar}   # the JDK's jar, to read the jars' manifests
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v dpkg-deb >/dev/null || { echo "build-deb.sh: dpkg-deb not found (a Debian machine builds the package)" >&2; exit 1; }
# Maven's 0.1.0-SNAPSHOT is Debian's 0.1.0~SNAPSHOT: it sorts before the release 0.1.0.
deb_version=${version//-/\~}
stage=$out/deb
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/share/edgerent/lib" "$stage/lib/systemd/system" \
    "$stage/etc/edgerent" "$stage/usr/share/doc/edgerent"

share=$stage/usr/share/edgerent
install -m 0644 "$root/hub/target/edgerent-hub.jar" "$root/client/target/edgerent-client.jar" "$share/"
# One lib/ serves both jars: the libraries each jar's manifest names (Class-Path: lib/NAME.jar ...), not whatever
# else an earlier build left in target/lib; a name both use must be the same file.
class_path() { # $1 = jar: its manifest's Class-Path entries, one per line (continuation lines unfolded)
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && "$jar_tool" --extract --file "$1" META-INF/MANIFEST.MF)
    tr -d '\r' <"$tmp/META-INF/MANIFEST.MF" | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n //g' \
        | sed -n 's/^Class-Path: //p' | tr ' ' '\n' | sed '/^$/d'
    rm -rf "$tmp"
}
for module in hub client; do
    jar=$root/$module/target/edgerent-$module.jar
    for entry in $(class_path "$jar"); do
        name=$(basename "$entry")
        source=$root/$module/target/$entry
        [[ -f $source ]] || { echo "build-deb.sh: $jar names $entry, which is not there" >&2; exit 1; }
        if [[ -e $share/lib/$name ]]; then
            cmp -s "$source" "$share/lib/$name" || { echo "build-deb.sh: two different $name" >&2; exit 1; }
            continue
        fi
        install -m 0644 "$source" "$share/lib/$name"
    done
done
install -m 0755 "$here/edgerent" "$stage/usr/bin/edgerent"
install -m 0644 "$here/edgerent-hub.service" "$stage/lib/systemd/system/edgerent-hub.service"
install -m 0644 "$root/README.md" "$stage/usr/share/doc/edgerent/README.md"
{
    echo "# /etc/edgerent/hub.conf, read by edgerent-hub.service. After a change:"
    echo "#   edgerent hub --config /etc/edgerent/hub.conf --check-config && systemctl restart edgerent-hub"
    java -jar "$root/hub/target/edgerent-hub.jar" --print-config | sed 's|^#data = .*|data = /var/lib/edgerent|'
} > "$stage/etc/edgerent/hub.conf"
grep -qx 'data = /var/lib/edgerent' "$stage/etc/edgerent/hub.conf" || { echo "build-deb.sh: no data line in hub.conf" >&2; exit 1; }

for script in postinst prerm postrm; do
    install -m 0755 "$here/$script" "$stage/DEBIAN/$script"
done
echo /etc/edgerent/hub.conf > "$stage/DEBIAN/conffiles"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: edgerent
Version: $deb_version
Architecture: all
Maintainer: the edgerent project <edgerent@localhost>
Depends: openjdk-17-jre-headless | java17-runtime-headless, passwd, init-system-helpers (>= 1.54)
Section: net
Priority: optional
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Description: rent out Raspberry Pis as tiny VPSes: the hub and the command line
 The edgerent hub registers devices, lists them on a marketplace, relays renters'
 SSH and HTTP to their containers and settles pay-as-you-go payment channels.
 This package runs it as the service edgerent-hub (settings: /etc/edgerent/hub.conf)
 and installs the edgerent command line.
CONTROL
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
    > "$stage/DEBIAN/md5sums"
deb=$out/edgerent_${deb_version}_all.deb
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$deb" >/dev/null
echo "built $deb"
