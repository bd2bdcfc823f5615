# Shared by make-sample.sh and make-qemu-dumps.sh (sourced, POSIX sh).
REL=${CT_RELEASE:-6.1.0-56-cloud-amd64}
QEMU_DIR=$(cd "$(dirname "$0")" && pwd)
case "$QEMU_DIR" in */sample-dumps) QEMU_DIR=$(cd "$QEMU_DIR/../scripts/qemu" && pwd);; esac

need_packages() { # install what is missing (Debian 12)
  missing=
  command -v qemu-system-x86_64 >/dev/null || missing="$missing qemu-system-x86"
  [ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q static || missing="$missing busybox-static"
  command -v kexec >/dev/null || missing="$missing kexec-tools"
  command -v makedumpfile >/dev/null || missing="$missing makedumpfile"
  command -v cpio >/dev/null || missing="$missing cpio"
  command -v gcc >/dev/null || missing="$missing gcc libc6-dev"
  command -v file >/dev/null || missing="$missing file"
  command -v objcopy >/dev/null || missing="$missing binutils"
  if [ -n "$missing" ]; then
    echo "installing:$missing" >&2
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
}

# fetch_kernel DIR: the Debian image package of $REL, extracted into DIR/x (boot/vmlinuz, lib/modules)
fetch_kernel() {
  mkdir -p "$1" && (
    cd "$1"
    if [ ! -f x/boot/vmlinuz-$REL ]; then
      ls linux-image-$REL-unsigned_*.deb >/dev/null 2>&1 || apt-get download "linux-image-$REL-unsigned" 2>/dev/null ||
        { apt-get update -qq >/dev/null 2>&1; apt-get download "linux-image-$REL-unsigned"; }
      rm -rf x && mkdir x && dpkg-deb -x linux-image-$REL-unsigned_*.deb x
    fi
  )
  [ -f "$1/x/boot/vmlinuz-$REL" ] || { echo "cannot get the kernel image package for $REL" >&2; exit 1; }
}

now() { date +%s.%N | cut -c1-14; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# strip terminal escapes and CRs the firmware and console put in serial logs
clean_log() { sed -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\r$//' "$1"; }
