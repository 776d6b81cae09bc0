#!/bin/sh
# Install the Debian packages metarl needs, if any are missing (apt-get,
# through sudo when not root). Extra packages can be named as arguments.
set -e
need="build-essential pkg-config libgsl-dev libsqlite3-dev libinih-dev
libcmocka-dev gnuplot-nox sqlite3 $*"
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "metarl: installing missing packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
