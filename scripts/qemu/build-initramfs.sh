#!/bin/sh
# Builds the three guest initramfs images (gzip'd newc cpio) for make-sample.sh and make-qemu-dumps.sh.
# usage: build-initramfs.sh KERNEL_ROOT OUTDIR [CT_OOPS_KO]
#   KERNEL_ROOT: the extracted linux-image .deb (boot/vmlinuz-*, lib/modules/*)
#   writes OUTDIR/initrd-capture.img (busybox, makedumpfile, /init) and OUTDIR/initrd-first.img
#   (the same plus kexec, the kernel and the capture image for kexec -p, qemu_fw_cfg.ko, the workload)
#   (+ with CT_OOPS_KO, built by build-ct-oops.sh: /lib/modules/ct_oops.ko and /bin/ct-oops, for the oops scenario)
#   (+ with CT_NET=1: the virtio-net driver and what it needs, as /lib/modules/net/NN-NAME.ko in load order, for
#   the ipc-swap-arp scenario's network card; .ko.xz files are decompressed here, busybox insmod takes plain ones)
#   and OUTDIR/initrd-qemu.img (busybox, qemu_fw_cfg.ko, the workload: small, so QEMU's unfiltered dumps stay small)
# Needs: busybox-static kexec-tools makedumpfile cpio gcc (for the static workload helper).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
kroot=$1; out=$2; oops_ko=${3:-}
mkdir -p "$out"; out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ct-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT

# copy a dynamically linked program and the shared libraries ldd names into a root
copy_prog() { # root prog
  mkdir -p "$1$(dirname "$2")"; cp -L "$2" "$1$2"
  ldd "$2" | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$1$(dirname "$lib")"; cp -L "$lib" "$1$lib"
  done
}

# busybox's applet links, made once (a fork per link, ~400 of them, cost a second each time) and copied into each root
mkdir -p "$work/applets"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$work/applets/$a"; done
busybox_root() { # root: /bin/busybox and its applets
  mkdir -p "$1/bin"
  cp /bin/busybox "$1/bin/busybox"
  cp -P -n "$work/applets/"* "$1/bin/"
}

# Disk drivers a kernel builds as modules (Debian's generic -amd64 and -rt-amd64 flavours: nvme; the cloud flavour
# has it built in and ships no nvme.ko, so nothing is added): each with the modules it depends on, decompressed,
# as /lib/modules/boot/NN-NAME.ko in load order; guest-init.sh loads them first in both kernels. Dependencies
# are the .ko's own modinfo `depends=` (the package has no modules.dep) and its `softdep=pre:` names that are
# modules; a crypto alias (crct10dif) is skipped: its users fall back to their generic code without it.
ko_file() { find "$kroot/lib/modules" \( -name "$1.ko" -o -name "$1.ko.xz" -o -name "$(echo "$1" | tr _ -).ko*" -o -name "$(echo "$1" | tr - _).ko*" \) | head -n1; }
ko_text() { case $1 in *.xz) xz -dc "$1" ;; *) cat "$1" ;; esac; }
ko_deps() { ko_text "$1" | tr '\0' '\n' | sed -n -e 's/^depends=//p' -e 's/^softdep=.*pre: *\([^ ]*\).*/\1/p' | tr ', ' '\n\n'; }
boot_order= # module files, dependencies first
add_boot_module() { # name
  f=$(ko_file "$1"); [ -n "$f" ] || return 0
  case " $boot_order " in *" $f "*) return 0 ;; esac
  for d in $(ko_deps "$f"); do [ -n "$d" ] && add_boot_module "$d"; done
  # (sh has no local variables: the recursion above reused f)
  boot_order="$boot_order $(ko_file "$1")"
}
for m in nvme; do add_boot_module $m; done
boot_modules() { # root
  mkdir -p "$1/lib/modules/boot"; i=10
  for f in $boot_order; do n=${f##*/}; n=${n%.xz}; ko_text "$f" > "$1/lib/modules/boot/$i-$n"; i=$((i + 1)); done
}
[ -z "$boot_order" ] || echo "boot modules:$boot_order" | sed "s#$kroot/lib/modules/[^/]*/##g" >&2

base() { # root
  mkdir -p "$1/bin" "$1/sbin" "$1/proc" "$1/sys" "$1/dev" "$1/tmp" "$1/boot" "$1/lib/modules"
  busybox_root "$1"
  boot_modules "$1"
  copy_prog "$1" "$(command -v makedumpfile)"
  cp "$here/guest-init.sh" "$1/init"; chmod 755 "$1/init"
}
pack() { # root image (gzip -1: most of the first image is the kernel and the capture image, compressed already)
  (cd "$1" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$2"
}

base "$work/capture"
pack "$work/capture" "$out/initrd-capture.img"

base "$work/first"
copy_prog "$work/first" "$(command -v kexec)"
cp "$kroot"/boot/vmlinuz-* "$work/first/boot/vmlinuz"
cp "$out/initrd-capture.img" "$work/first/boot/initrd-capture.img"
cp "$(find "$kroot/lib/modules" -name 'qemu_fw_cfg.ko*' | head -n1)" "$work/first/lib/modules/qemu_fw_cfg.ko"
gcc -O1 -static -pthread -o "$work/first/bin/ct-workload" "$here/ct-workload.c"
cp "$here/ct-crash.sh" "$work/first/bin/ct-crash"; chmod 755 "$work/first/bin/ct-crash"
if [ -n "$oops_ko" ]; then
  cp "$oops_ko" "$work/first/lib/modules/ct_oops.ko"
  cp "$here/ct-oops.sh" "$work/first/bin/ct-oops"; chmod 755 "$work/first/bin/ct-oops"
fi
if [ "${CT_NET:-0}" = 1 ]; then
  # load order; a module the kernel has built in (6.12: virtio, virtio_pci) is simply not found
  mkdir -p "$work/first/lib/modules/net"; i=10
  for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net; do
    f=$(find "$kroot/lib/modules" -name "$m.ko" -o -name "$m.ko.xz" | head -n1)
    [ -n "$f" ] || continue
    case $f in
      *.xz) xz -dc "$f" > "$work/first/lib/modules/net/$i-$m.ko" ;;
      *) cp "$f" "$work/first/lib/modules/net/$i-$m.ko" ;;
    esac
    i=$((i + 1))
  done
fi
pack "$work/first" "$out/initrd-first.img"

mkdir -p "$work/qemu/bin" "$work/qemu/lib/modules"
for d in proc sys dev tmp; do mkdir -p "$work/qemu/$d"; done
busybox_root "$work/qemu"
cp "$here/guest-init.sh" "$work/qemu/init"; chmod 755 "$work/qemu/init"
cp "$work/first/bin/ct-workload" "$work/qemu/bin/"
cp "$work/first/lib/modules/qemu_fw_cfg.ko" "$work/qemu/lib/modules/"
pack "$work/qemu" "$out/initrd-qemu.img"
ls -l "$out"/initrd-*.img >&2
