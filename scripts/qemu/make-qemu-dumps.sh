#!/bin/sh
# Makes dumps in QEMU's own formats (QMP dump-guest-memory) of a live, running guest — no crash, no kdump.
# usage: scripts/qemu/make-qemu-dumps.sh OUTDIR [--gzip]
# Boots the Debian 6.1 cloud kernel three times under TCG (-m 128M, -smp 2) with a small busybox initramfs
# (scripts/qemu/guest-init.sh, ct.mode=qemu) that starts the ct-workload processes:
#   1. with -device vmcoreinfo (the guest's qemu_fw_cfg module writes VMCOREINFO to it):
#        qemu-elf.vmcore              format "elf", paging=false
#        qemu-kdump-zlib.vmcore       format "kdump-zlib" (QEMU 7.2 writes it FLATTENED: "makedumpfile" header)
#   2. without it (no VMCOREINFO anywhere in the dump):
#        qemu-elf-novmcoreinfo.vmcore, qemu-kdump-zlib-novmcoreinfo.vmcore
#   3. -cpu qemu64,+la57 -device vmcoreinfo: the kernel runs with 5-level paging (pgtable_l5_enabled=1);
#      kdump-zlib only (the 134 MB ELF would add time and nothing new):
#        qemu-kdump-zlib-la57.vmcore
#   4. -device vmcoreinfo, and the guest takes CPU 1 offline first (ct.offline=1); kdump-zlib only:
#        qemu-kdump-zlib-cpu1off.vmcore
#   plus qemu-facts.json / qemu-facts-novmcoreinfo.json / qemu-facts-la57.json (what the guest reported: release, kallsyms,
#   workload pids and states), SHA256SUMS, and symlinks q.elf, q.kdump-zlib (test/dump/qemu.test.ts). --gzip also writes <file>.gz of each dump (gzip -9n).
# The guest boots with init_on_free=1 so freed memory is zero and the dumps compress well.
# Needs root-free QEMU only, but apt-get (root) to install missing packages. Work dir: $CT_WORK.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
[ $# -ge 1 ] || { echo "usage: make-qemu-dumps.sh OUTDIR [--gzip]" >&2; exit 2; }
mkdir -p "$1"; OUT=$(cd "$1" && pwd); GZ=${2:-}
WORK=${CT_WORK:-/tmp/qemu-work/qemu-dumps}
mkdir -p "$WORK"
t0=$(now)
[ "$(id -u)" = 0 ] && need_packages
fetch_kernel "$WORK/deb"
[ -f "$WORK/initrd/initrd-qemu.img" ] && [ "$WORK/initrd/initrd-qemu.img" -nt "$QEMU_DIR/guest-init.sh" ] ||
  sh "$QEMU_DIR/build-initramfs.sh" "$WORK/deb/x" "$WORK/initrd" 2>/dev/null

qmp() { QMP_TIMEOUT_S=600 node "$QEMU_DIR/qmp.mjs" "$WORK/qmp.sock" "$@"; }

# boot_and_dump SUFFIX [--kdump-only] [--append "KERNEL ARGS"] EXTRA_QEMU_ARGS
boot_and_dump() {
  sfx=$1; shift
  formats="elf kdump-zlib"
  if [ "${1:-}" = --kdump-only ]; then formats=kdump-zlib; shift; fi
  kappend="console=ttyS0 ct.mode=qemu init_on_free=1"
  if [ "${1:-}" = --append ]; then kappend="$kappend $2"; shift 2; fi
  tb=$(now)
  qargs="$*"
  case " $qargs " in *" vmcoreinfo "*) vmcoreinfo=true ;; *) vmcoreinfo=false ;; esac
  rm -f "$WORK/qmp.sock" "$WORK/s0$sfx.log" "$WORK/s1$sfx.log"
  qemu-system-x86_64 -accel tcg -m 128M -smp 2 -display none -monitor none -nodefaults "$@" \
    -qmp unix:"$WORK/qmp.sock",server=on,wait=off \
    -kernel "$WORK/deb/x/boot/vmlinuz-$REL" -initrd "$WORK/initrd/initrd-qemu.img" \
    -append "$kappend" \
    -serial file:"$WORK/s0$sfx.log" -serial file:"$WORK/s1$sfx.log" > "$WORK/qemu$sfx.out" 2>&1 &
  qpid=$!
  i=0
  until grep -q '^CT ready' "$WORK/s1$sfx.log" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 $qpid 2>/dev/null; then
      echo "make-qemu-dumps: the guest did not get ready (see $WORK/s0$sfx.log)" >&2; kill $qpid 2>/dev/null; exit 1
    fi
    sleep 1
  done
  sleep 2 # let the workload settle (the facts were taken before "ready")
  caps=$(qmp '{"execute":"query-dump-guest-memory-capability"}')
  qmp '{"execute":"stop"}' > /dev/null
  set -- # from here on: the --dump arguments of facts.mjs
  for fmt in $formats; do
    f="qemu-$fmt$sfx.vmcore"
    rm -f "$OUT/$f"
    if [ "$fmt" = elf ]; then farg= kind=qemu-elf; else farg=",\"format\":\"$fmt\"" kind=qemu-$fmt-flattened; fi
    qmp "{\"execute\":\"dump-guest-memory\",\"arguments\":{\"paging\":false$farg,\"protocol\":\"file:$OUT/$f\"}}" > /dev/null
    chmod 644 "$OUT/$f" # QEMU creates it 0400
    set -- "$@" --dump "$f=$OUT/$f:$kind:QEMU dump-guest-memory paging=false format=$fmt"
  done
  # QEMU may close the socket before it answers "quit" (ECONNRESET): that is the quit working
  qmp '{"execute":"quit"}' > /dev/null 2>&1 || true
  wait $qpid || true
  clean_log "$WORK/s0$sfx.log" > "$OUT/qemu-console$sfx.log"
  node "$QEMU_DIR/facts.mjs" --facts "$WORK/s1$sfx.log" --out "$OUT/qemu-facts$sfx.json" \
    --set "qemu_version=$(qemu-system-x86_64 --version | head -n1)" \
    --set "qemu_cmdline=qemu-system-x86_64 -accel tcg -m 128M -smp 2 $qargs -kernel vmlinuz-$REL -initrd initrd-qemu.img -append '$kappend'" \
    --set "dump_capability=$caps" \
    --set "vmcoreinfo_device=$vmcoreinfo" \
    --set "fw_cfg=$(sed -n 's/^CT fw_cfg //p' "$WORK/s1$sfx.log" | tr -d '\r')" \
    --set "note=a live guest dumped over QMP while stopped (no panic); dumps taken in this order: $(echo $formats | sed 's/ /, /g')" \
    "$@"
  echo "make-qemu-dumps: boot '$qargs': $(elapsed "$tb" "$(now)") s" >&2
}

boot_and_dump "" -device vmcoreinfo
boot_and_dump "-novmcoreinfo"
boot_and_dump "-la57" --kdump-only -cpu qemu64,+la57 -device vmcoreinfo
# CPU 1 taken offline in the guest before the workload (sys: CPUS: 2 [OFFLINE: 1]); its idle task still exists
boot_and_dump "-cpu1off" --kdump-only --append ct.offline=1 -device vmcoreinfo
(cd "$OUT" && sha256sum qemu-*.vmcore > SHA256SUMS)
# the names test/dump/qemu.test.ts expects (CRASH_TS_QEMU_DUMPS=OUTDIR)
ln -sf qemu-elf.vmcore "$OUT/q.elf"; ln -sf qemu-kdump-zlib.vmcore "$OUT/q.kdump-zlib"
if [ "$GZ" = --gzip ]; then
  for f in "$OUT"/qemu-*.vmcore; do gzip -9n < "$f" > "$f.gz"; done
  (cd "$OUT" && sha256sum qemu-*.vmcore.gz >> SHA256SUMS)
fi
echo "make-qemu-dumps: done in $(elapsed "$t0" "$(now)") s" >&2
ls -l "$OUT" >&2
