#!/bin/sh
# Builds ct-oops/ct_oops.ko (the Oops on purpose, make-scenario.sh oops) for the guest kernel $CT_RELEASE
# (default 6.1.0-56-cloud-amd64) against that release's own Debian header packages, with gcc-12 (the compiler
# Debian 12 builds both kernels with).
# usage: scripts/qemu/build-ct-oops.sh OUT.ko [WORKDIR]
#   WORKDIR (default /tmp/qemu-work/hdr-$CT_RELEASE) keeps the downloaded .debs, the extracted headers and
#   the build tree (the source is copied there: nothing is written under scripts/).
# Runs as root on Debian 12 (apt-get download; installs gcc-12, make if missing). A few seconds once cached.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
ko=$1; work=${2:-/tmp/qemu-work/hdr-$REL}
missing=
command -v gcc-12 >/dev/null || missing="$missing gcc-12"
command -v make >/dev/null || missing="$missing make"
[ -e /usr/lib/x86_64-linux-gnu/libelf.so.1 ] || missing="$missing libelf1"
if [ -n "$missing" ]; then
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
kdir=$(fetch_headers "$work")
rm -rf "$work/ct-oops" && cp -r "$QEMU_DIR/ct-oops" "$work/ct-oops"
make -s -C "$kdir" M="$work/ct-oops" CC=gcc-12 modules >&2
strings "$work/ct-oops/ct_oops.ko" | grep -qx "vermagic=$REL .*" ||
  { echo "build-ct-oops.sh: ct_oops.ko has the wrong vermagic" >&2; exit 1; }
mkdir -p "$(dirname "$ko")" && cp "$work/ct-oops/ct_oops.ko" "$ko"
