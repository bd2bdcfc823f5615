#!/bin/sh
# Makes the bundled sample crash dump: sample-dumps/{vmlinux-<release>.gz, vmcore, sample.json, ...}.
# Runs as root on Debian 12 with the Debian archive reachable; no KVM needed (QEMU TCG).
#   1. downloads the Debian 6.1 cloud kernel image (and its -dbg package once, for the vmlinux)
#   2. builds a busybox initramfs (scripts/qemu/build-initramfs.sh, /init = scripts/qemu/guest-init.sh)
#   3. boots it in QEMU: kexec -p loads the capture kernel, a workload starts (scripts/qemu/ct-workload.c),
#      a marker goes to /dev/kmsg, then `echo c > /proc/sysrq-trigger`
#   4. the capture kernel runs makedumpfile -c -d 31 and writes the dump raw to an NVMe disk image
#   5. the host extracts it and writes sample.json (the facts the guest reported) and the README's numbers
# usage: sample-dumps/make-sample.sh [OUTDIR]     (default: the directory of this script)
# env:   CT_WORK (temp dir, default /tmp/qemu-work/sample), DEBUG_VMLINUX (path of the debug vmlinux)
set -eu
t0=$(date +%s.%N | cut -c1-14)
. "$(cd "$(dirname "$0")" && pwd)/../scripts/qemu/common.sh"
OUT=$(cd "${1:-$(dirname "$0")}" && pwd)
WORK=${CT_WORK:-/tmp/qemu-work/sample}
mkdir -p "$WORK"
[ "$(id -u)" = 0 ] || { echo "make-sample.sh: run as root (apt-get)" >&2; exit 1; }
need_packages
fetch_kernel "$WORK/deb"

# The vmlinux: the debug one from Debian's -dbg package without DWARF and relocations (symtab, BTF,
# ORC, text and data stay), gzip'd. Cached where the corpus tools cache it.
dbg=${DEBUG_VMLINUX:-${CRASH_TS_CORPUS_CACHE:-$HOME/.cache/crash-ts-corpus}/$REL/vmlinux-$REL}
if [ ! -f "$dbg" ]; then
  mkdir -p "$(dirname "$dbg")"
  (cd "$WORK/deb" && { apt-get download "linux-image-$REL-dbg" || { apt-get update -qq; apt-get download "linux-image-$REL-dbg"; }; } &&
    dpkg-deb --fsys-tarfile linux-image-$REL-dbg_*.deb | tar -xO "./usr/lib/debug/boot/vmlinux-$REL" > "$dbg.part" &&
    rm -f linux-image-$REL-dbg_*.deb && mv "$dbg.part" "$dbg")
fi
vmlinux_gz="vmlinux-$REL.gz"
objcopy --strip-debug -R '.rela*' "$dbg" "$WORK/vmlinux.nodwarf"
gzip -9n < "$WORK/vmlinux.nodwarf" > "$WORK/$vmlinux_gz"

sh "$QEMU_DIR/build-initramfs.sh" "$WORK/deb/x" "$WORK/initrd"

# The guest: 256 MiB, 96 MiB of it reserved for the capture kernel; 2 CPUs; console on ttyS0,
# the workload's facts on ttyS1; the capture kernel writes the dump to the NVMe disk (built in).
rm -f "$WORK/disk.img" "$WORK/serial0.log" "$WORK/serial1.log"
truncate -s 128M "$WORK/disk.img"
append="console=ttyS0 crashkernel=96M ct.mode=sample panic=1"
tq=$(now)
timeout 900 qemu-system-x86_64 -accel tcg -m 256M -smp 2 -no-reboot -display none -monitor none -nodefaults \
  -kernel "$WORK/deb/x/boot/vmlinuz-$REL" -initrd "$WORK/initrd/initrd-first.img" -append "$append" \
  -drive file="$WORK/disk.img",if=none,id=d0,format=raw -device nvme,serial=ctdump,drive=d0 \
  -serial file:"$WORK/serial0.log" -serial file:"$WORK/serial1.log" > "$WORK/qemu.out" 2>&1 ||
  { echo "make-sample.sh: qemu failed (see $WORK/qemu.out, $WORK/serial0.log)" >&2; exit 1; }
qemu_s=$(elapsed "$tq" "$(now)")

# Disk layout (guest-init.sh): "CTDUMP1 <dmesg bytes> <vmcore bytes> <rc>" at 0, dmesg at 1 MiB, vmcore at 4 MiB.
set -- $(head -n1 "$WORK/disk.img" | tr -d '\0')
[ "${1:-}" = CTDUMP1 ] && [ "$4" = 0 ] && [ "$3" -gt 0 ] ||
  { echo "make-sample.sh: no dump on the disk (header: $*; see $WORK/serial0.log)" >&2; exit 1; }
tail -c +$((1048576 + 1)) "$WORK/disk.img" | head -c "$2" > "$WORK/dmesg.txt"
tail -c +$((4194304 + 1)) "$WORK/disk.img" | head -c "$3" > "$WORK/vmcore"
[ "$(head -c 8 "$WORK/vmcore")" = "KDUMP   " ] || { echo "make-sample.sh: extracted vmcore has no KDUMP signature" >&2; exit 1; }

# Console: the first kernel up to the crash, then the capture kernel (its own "Linux version" line).
clean_log "$WORK/serial0.log" > "$WORK/console.log"
cap=$(grep -n 'Linux version' "$WORK/console.log" | sed -n '2s/:.*//p')
[ -n "$cap" ] || cap=$(($(wc -l < "$WORK/console.log") + 1))
head -n $((cap - 1)) "$WORK/console.log" > "$WORK/serial-first-kernel.log"
tail -n +"$cap" "$WORK/console.log" > "$WORK/serial-capture-kernel.log"

rm -f "$OUT/vmlinux-"*.gz "$OUT/vmcore"
cp "$WORK/$vmlinux_gz" "$WORK/vmcore" "$OUT/"
cp "$WORK/serial-first-kernel.log" "$WORK/serial-capture-kernel.log" "$OUT/"
cp "$WORK/dmesg.txt" "$OUT/dmesg.txt"
total_s=$(elapsed "$t0" "$(now)")
mdf=$(makedumpfile -v 2>&1 | head -n1)
node "$QEMU_DIR/facts.mjs" --facts "$WORK/serial1.log" --console "$WORK/serial-first-kernel.log" --out "$OUT/sample.json" \
  --set "files={\"vmlinux\":\"$vmlinux_gz\",\"vmcore\":\"vmcore\",\"dmesg\":\"dmesg.txt\"}" \
  --set "capture_cmdline=console=ttyS0 irqpoll nr_cpus=1 reset_devices panic=1" \
  --set "qemu_cmdline=qemu-system-x86_64 -accel tcg -m 256M -smp 2 -kernel vmlinuz-$REL -initrd initrd-first.img -append '$append' -device nvme (raw disk) -serial file (console) -serial file (facts)" \
  --set "qemu_version=$(qemu-system-x86_64 --version | head -n1)" \
  --set "trigger={\"comm\":\"ct-crash\",\"action\":\"sysrq-c\",\"what\":\"script /bin/ct-crash: echo c > /proc/sysrq-trigger\"}" \
  --set "vmlinux={\"file\":\"$vmlinux_gz\",\"made_by\":\"objcopy --strip-debug -R '.rela*' of /usr/lib/debug/boot/vmlinux-$REL (Debian package linux-image-$REL-dbg), then gzip -9n\",\"debug_sha256\":\"$(sha256sum "$dbg" | cut -d' ' -f1)\",\"size\":$(stat -c %s "$OUT/$vmlinux_gz"),\"sha256\":\"$(sha256sum "$OUT/$vmlinux_gz" | cut -d' ' -f1)\"}" \
  --set "made_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --set "timings_seconds={\"qemu\":$qemu_s,\"total\":$total_s}" \
  --dump "vmcore=$OUT/vmcore:kdump-zlib:$mdf (Debian) -c -d 31 /proc/vmcore, in the capture kernel"
echo "sample-dumps: done in ${total_s}s (qemu ${qemu_s}s)" >&2
ls -l "$OUT" >&2
