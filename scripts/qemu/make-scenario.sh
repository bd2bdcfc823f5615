#!/bin/sh
# Makes one real kdump crash dump of a named scenario: a Debian 12 cloud kernel under QEMU (TCG) loads a
# capture kernel (kexec -p), runs the workload (ct-workload.c), writes a marker to /dev/kmsg, and dies the
# scenario's way; the capture kernel saves /proc/vmcore with makedumpfile (and, with CT_ELF=1, unfiltered).
# usage: scripts/qemu/make-scenario.sh NAME OUTDIR
#   NAME: [k61-|k612-|k510-|k7-|k61rt-|k612rt-|k61g-|k612g-]TRIGGER    (k61 = 6.1.0-56-cloud-amd64, the default; k612 = 6.12.107+deb12-cloud-amd64;
#         k510 = 5.10.0-32-cloud-amd64 from Debian 11, whose debug vmlinux is also put in the cache the tests read:
#         ${CRASH_TS_CORPUS_CACHE:-~/.cache/crash-ts-corpus}/5.10.0-32-cloud-amd64/;
#         k7 = Debian sid's newest 7.x cloud kernel, e.g. 7.2.13+deb14-cloud-amd64: CT_SUITE=sid, below;
#         k61rt/k612rt = Debian 12's newest 6.1/6.12 PREEMPT_RT kernel, -rt-amd64; k61g/k612g = the generic -amd64
#         flavour; their debug vmlinux is fetched into the cache like k510's, and their NVMe driver, a module
#         there, goes into both initramfs images)
#   TRIGGER:
#     sysrq-c    echo c > /proc/sysrq-trigger from a shell (/bin/ct-crash), like the corpus
#     kbd-sysrq  the host presses Alt-SysRq-C on the PS/2 keyboard (QMP send-key): panic in the keyboard IRQ
#     nmi        the host injects an NMI (QMP inject-nmi) with kernel.unknown_nmi_panic=1
#     oom        vm.panic_on_oom=1, then ct-hog touches memory until the OOM killer panics (page-fault path)
#     hung       kernel.hung_task_panic=1, hung_task_timeout_secs=2; ct-frozen blocks (D) writing to a frozen
#                ext4 (second NVMe disk): khungtaskd panics
#     exit       /init exits: "Attempted to kill init!"
#     io         sysrq-c while three dd's read and one writes the second NVMe disk with direct I/O, the disk
#                throttled by QEMU to a few requests a second: requests are in flight at the crash (dev -d)
#     10k-threads  sysrq-c with one more process, ct-many, of 10,000 threads (threads-max raised to 40000, pid_max
#                to 65536; CT_MEM defaults to 1280M, CT_CRASHKERNEL to 256M, CT_DUMPLEVEL to 1, CT_COMPRESS to lzo,
#                CT_ACCEL to tcg,thread=multi: below): case.json's workload_threads lists every one (tgid, pid, comm)
#     oops       kernel.panic_on_oops=1, then /bin/ct-oops writes to /proc/ct-oops: ct_oops.ko (scripts/qemu/ct-oops,
#                built by build-ct-oops.sh against the release's Debian headers) writes through a NULL pointer
#                in ct_oops_write_null <- ct_oops_trigger <- ct_oops_proc_write; oops_end() calls crash_kexec()
#                (no "Kernel panic - not syncing" line: case.json's panic is the "Oops:" line)
#     ipc-swap-arp  sysrq-c once the guest holds System V IPC objects (ct-ipc: 3 shared memory segments, 2
#                semaphore sets, 2 message queues), two swap areas with pages in them (a 16 MiB swap file on an
#                ext4 disk, priority 5, and a raw 8 MiB NVMe disk; ct-swapper pages 1 MiB out) and ARP entries
#                (virtio-net on QEMU user networking: the gateway 10.0.2.2, and a permanent 10.0.2.77); case.json's
#                ipc_swap_arp holds /proc/sysvipc/{shm,sem,msg}, /proc/swaps, /proc/net/arp and /proc/meminfo's
#                Swap lines as the guest read them right before the crash (6.12: CT_DUMPLEVEL defaults to 23, below);
#                ct-sockets holds a socket of each kind (UNIX, TCP, UDP, TCP6, UDP6, raw, netlink, packet): case.json's sockets
# env: CT_SUITE=SUITE takes the kernel packages of $CT_RELEASE from that Debian suite (common.sh: a private apt
#      configuration; the machine's sources stay as they are);
#      CT_APPEND (more guest kernel arguments: ct.offline=N takes CPU N offline first); CT_ELF=1 also save /proc/vmcore unfiltered (vmcore.elf, ~160 MB); CT_DUMPLEVEL (default 31);
#      CT_MEM (default 384M, k7 640M: with 256M and KASLR crashkernel=96M sometimes finds no room); CT_SMP (default 2 vCPUs); CT_CRASHKERNEL (default 96M, k7 160M); CT_WORK (default /tmp/qemu-work/scenario-NAME)
#      CT_COMPRESS (zlib, the default: makedumpfile -c; lzo: -l); CT_ACCEL (QEMU -accel, default tcg)
#      CT_QEMU_ARGS: more QEMU arguments, e.g. two NUMA nodes of a 640M guest (the generic flavour is NUMA):
#        "-object memory-backend-ram,id=m0,size=320M -object memory-backend-ram,id=m1,size=320M
#         -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1"
# writes OUTDIR/vmcore.kdump-zlib (makedumpfile -c -d LEVEL; vmcore.kdump-lzo with -l), [vmcore.elf], dmesg.txt, serial-first-kernel.log,
#        serial-capture-kernel.log, case.json (what the guest saw; field names as the corpus case.json)
#        [oops: ct_oops.ko, the module as loaded, with its debug info]
#        [CT_SUITE: the kernel's vmlinux without DWARF, cached as ~/.cache/crash-ts-corpus/REL/vmlinux-REL.nodwarf]
# Runs as root on Debian 12 (apt-get for missing tools); about a minute per scenario under TCG.
set -eu
name=$1; OUT=$2
# Debian's other amd64 flavours of the same kernels: kNNrt- (PREEMPT_RT, -rt-amd64) and kNNg- (generic, -amd64),
# NN 61 or 612: the newest such release the machine's apt sources (Debian 12) hold, unless CT_RELEASE names one
flavour_release() { # series-regex flavour
  apt-cache pkgnames linux-image- | sed -n "s/^linux-image-\($1-$2\)-unsigned\$/\1/p" | sort -V | tail -n1
}
case $name in
  k61rt-*|k61g-*|k612rt-*|k612g-*)
    fl=rt-amd64; case ${name%%-*} in *g) fl=amd64 ;; esac
    ser='6\.1\.0-[0-9]*'; case $name in k612*) ser='6\.12\.[0-9]*+deb12' ;; esac
    CT_RELEASE=${CT_RELEASE:-$(flavour_release "$ser" $fl)}; trig=${name#*-}
    [ -n "$CT_RELEASE" ] || { echo "make-scenario.sh: no $fl kernel for $name in the apt sources" >&2; exit 1; } ;;
  k612-*) CT_RELEASE=6.12.107+deb12-cloud-amd64; trig=${name#k612-} ;;
  k61-*) CT_RELEASE=6.1.0-56-cloud-amd64; trig=${name#k61-} ;;
  k510-*) CT_RELEASE=5.10.0-32-cloud-amd64; trig=${name#k510-} ;; # Debian 11's kernel (private apt lists: common.sh)
  k7-*) CT_SUITE=${CT_SUITE:-sid}; trig=${name#k7-} ;;
  *) trig=$name ;;
esac
export CT_RELEASE
case $trig in sysrq-c|kbd-sysrq|nmi|oom|hung|exit|oops|10k-threads|ipc-swap-arp|io|timer-oops|warn|softlockup|bigmem) ;; *) echo "make-scenario.sh: unknown trigger '$trig'" >&2; exit 2;; esac
t0=$(date +%s.%N | cut -c1-14)
[ -n "${CT_SUITE:-}" ] && export CT_SUITE
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
# k7-: Debian sid's newest 7.x cloud kernel (CT_RELEASE overrides it), packages through a private apt config
if [ "${name#k7-}" != "$name" ] && [ -z "${CT_RELEASE:-}" ]; then
  REL=$(suite_release '7\.[0-9.]*+[a-z0-9]*-cloud-amd64')
  [ -n "$REL" ] || { echo "make-scenario.sh: no 7.x cloud kernel in Debian $CT_SUITE" >&2; exit 1; }
  CT_RELEASE=$REL; export CT_RELEASE
fi
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
WORK=${CT_WORK:-/tmp/qemu-work/scenario-$name}
mkdir -p "$WORK"
[ "$(id -u)" = 0 ] || { echo "make-scenario.sh: run as root (apt-get)" >&2; exit 1; }
need_packages
fetch_kernel "$WORK/../deb-$REL"
# a release the shared corpus does not hold: its vmlinux (BTF, symbols) goes where the tests look for it; a kernel
# of another suite (CT_SUITE) as the nodwarf vmlinux, ~/.cache/crash-ts-corpus/REL/vmlinux-REL.nodwarf
if [ -n "${CT_SUITE:-}" ]; then
  fetch_suite_vmlinux >/dev/null || exit 1
else
  case $REL in 6.1.0-56-cloud-amd64|6.12.107+deb12-cloud-amd64) ;; *) fetch_debug_vmlinux "${CRASH_TS_CORPUS_CACHE:-$HOME/.cache/crash-ts-corpus}" >/dev/null ;; esac
fi
kroot=$WORK/../deb-$REL/x
oops_ko=
case $trig in oops|timer-oops|warn|softlockup) oops_ko=$WORK/ct_oops.ko ;; esac
if [ -n "$oops_ko" ]; then
  sh "$QEMU_DIR/build-ct-oops.sh" "$oops_ko" "$WORK/../hdr-$REL" 2>"$WORK/build-ct-oops.log" ||
    { cat "$WORK/build-ct-oops.log" >&2; echo "make-scenario.sh: cannot build ct_oops.ko for $REL" >&2; exit 1; }
fi
net=0; [ "$trig" = ipc-swap-arp ] && net=1
CT_NET=$net sh "$QEMU_DIR/build-initramfs.sh" "$kroot" "$WORK/initrd" $oops_ko 2>/dev/null

# 7.x's capture kernel stalls in page allocation (dd to the disk) with 96M: it gets more
# as do the generic and rt flavours (NUMA, 8192 possible CPUs: makedumpfile was OOM-killed at 96M on 6.1 rt)
ckdef=96M; memdef=384M
case $name in k7-*|k61rt-*|k61g-*|k612rt-*|k612g-*) ckdef=160M memdef=640M ;; esac
# 10,000 threads: ~16 KiB of kernel stack, a task_struct and a user stack page each; the capture kernel keeps the
# ~90 MB compressed dump in its tmpfs before writing it out
# Debian 12's makedumpfile 1.7.2 misreads 6.12's struct page of slab pages and drops some of them: 21 task_structs
# were missing at -d 31 and 25 at -d 15 (so not only as free pages); -d 1 drops only zero pages
# (and its capture compresses ~5x the pages of the others: lzo, 3x faster than zlib under TCG); multi-threaded TCG,
# as the workload's spinner keeps one vCPU busy
qtimeout=900 accel=tcg compdef=zlib
# bigmem: RAM above 4 GiB (QEMU's pc machine puts 3 GiB below the PCI hole and the rest from 4 GiB up)
[ "$trig" = bigmem ] && memdef=5G ckdef=192M # the capture kernel keeps the dump in its tmpfs
[ "$trig" = 10k-threads ] && ckdef=256M memdef=1280M lvldef=1 accel=tcg,thread=multi compdef=lzo
# 6.12 moved struct slab's slab_cache to the word before slab_list, so page->mapping overlays a CPU-partial
# slab's `slabs` count: an odd count looks like PAGE_MAPPING_ANON, and makedumpfile 1.7.2 drops the slab as
# user data (-d 8). -d 23 keeps user pages (a few MB more) and so every slab: ipcs, swap and net -a read slab objects
[ "$trig" = ipc-swap-arp ] && [ "${name#k612-}" != "$name" ] && lvldef=23
# the same for the hand-made crash kinds on 6.12: at -d 31 crash 9 printed nothing at all on k612-warn and
# k612-softlockup (exit status 1), so nothing could be compared
case $trig in timer-oops|warn|softlockup|bigmem) [ "${name#k612-}" != "$name" ] && lvldef=23 ;; esac
ckmem=${CT_CRASHKERNEL:-$ckdef}
accel=${CT_ACCEL:-$accel}
# CT_COMPRESS=lzo: makedumpfile -l (the file is vmcore.kdump-lzo), else -c (zlib, vmcore.kdump-zlib)
comp=${CT_COMPRESS:-$compdef}; case $comp in zlib|lzo) ;; *) echo "make-scenario.sh: CT_COMPRESS zlib or lzo" >&2; exit 2;; esac
mem=${CT_MEM:-$memdef}; lvl=${CT_DUMPLEVEL:-${lvldef:-31}}; elf=${CT_ELF:-0}; smp=${CT_SMP:-2}
rm -f "$WORK/disk.img" "$WORK/data.img" "$WORK/swap.img" "$WORK/serial0.log" "$WORK/serial1.log" "$WORK/qmp.sock"
truncate -s 1G "$WORK/disk.img"
data=; elfdump=
if [ "$trig" = hung ] || [ "$trig" = ipc-swap-arp ]; then
  command -v mkfs.ext4 >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq e2fsprogs >/dev/null
  dsize=16M; [ "$trig" = ipc-swap-arp ] && dsize=24M # room for the 16 MiB swap file
  truncate -s $dsize "$WORK/data.img" && mkfs.ext4 -q -F "$WORK/data.img"
  data="-drive file=$WORK/data.img,if=none,id=d1,format=raw -device nvme,serial=ctdata,drive=d1"
fi
if [ "$trig" = io ]; then
  # QEMU holds each request of this disk ~1/8 s: the guest's requests stay in flight long enough to be caught
  truncate -s 64M "$WORK/data.img"
  data="-drive file=$WORK/data.img,if=none,id=d1,format=raw,throttling.iops-total=8 -device nvme,serial=ctdata,drive=d1"
fi
if [ "$trig" = ipc-swap-arp ]; then
  truncate -s 8M "$WORK/swap.img"
  data="$data -drive file=$WORK/swap.img,if=none,id=d2,format=raw -device nvme,serial=ctswap,drive=d2"
  # user networking with a virtio card (the driver: build-initramfs.sh CT_NET=1); restrict=on: nothing leaves
  data="$data -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56"
fi
append="console=ttyS0 crashkernel=$ckmem ct.mode=scenario ct.trigger=$trig ct.dumplevel=$lvl panic=1"
[ "$comp" = lzo ] && append="$append ct.compress=lzo"
[ "$elf" = 1 ] && append="$append ct.elf=1"
# CT_APPEND: more guest kernel arguments, e.g. ct.offline=1 (guest-init.sh takes CPU 1 offline before the workload)
[ -n "${CT_APPEND:-}" ] && append="$append $CT_APPEND"
tq=$(now)
# shellcheck disable=SC2086
timeout "$qtimeout" qemu-system-x86_64 -accel "$accel" -m "$mem" -smp "$smp" -no-reboot -display none -monitor none -nodefaults \
  -kernel "$kroot/boot/vmlinuz-$REL" -initrd "$WORK/initrd/initrd-first.img" -append "$append" \
  -drive file="$WORK/disk.img",if=none,id=d0,format=raw -device nvme,serial=ctdump,drive=d0 $data \
  -qmp unix:"$WORK/qmp.sock",server=on,wait=off ${CT_QEMU_ARGS:-} \
  -serial file:"$WORK/serial0.log" -serial file:"$WORK/serial1.log" > "$WORK/qemu.out" 2>&1 &
qpid=$!
case $trig in
  nmi|kbd-sysrq)
    i=0
    until grep -q '^CT host-trigger' "$WORK/serial1.log" 2>/dev/null; do
      i=$((i + 1)); [ $i -lt 600 ] && kill -0 $qpid 2>/dev/null || { echo "make-scenario.sh: guest never got ready" >&2; kill $qpid 2>/dev/null; exit 1; }
      sleep 1
    done
    sleep 1
    if [ "$trig" = nmi ]; then
      node "$QEMU_DIR/qmp.mjs" "$WORK/qmp.sock" '{"execute":"inject-nmi"}' >/dev/null
    else
      node "$QEMU_DIR/qmp.mjs" "$WORK/qmp.sock" \
        '{"execute":"send-key","arguments":{"keys":[{"type":"qcode","data":"alt"},{"type":"qcode","data":"sysrq"},{"type":"qcode","data":"c"}]}}' >/dev/null
    fi ;;
esac
wait $qpid || { echo "make-scenario.sh: qemu failed (see $WORK/qemu.out, $WORK/serial0.log)" >&2; exit 1; }
qemu_s=$(elapsed "$tq" "$(now)")

# Disk layout (guest-init.sh): "CTDUMP1 <dmesg> <vmcore> <rc> [<elf>]" at 0, dmesg at 1 MiB, vmcore at 4 MiB, ELF at 256 MiB.
set -- $(head -n1 "$WORK/disk.img" | tr -d '\0')
[ "${1:-}" = CTDUMP1 ] && [ "$4" = 0 ] && [ "$3" -gt 0 ] ||
  { echo "make-scenario.sh: no dump on the disk (header: $*; see $WORK/serial0.log)" >&2; exit 1; }
dd if="$WORK/disk.img" bs=1M skip=1 count=3 2>/dev/null | head -c "$2" > "$OUT/dmesg.txt"
rm -f "$OUT"/vmcore.kdump-*
dd if="$WORK/disk.img" bs=1M skip=4 2>/dev/null | head -c "$3" > "$OUT/vmcore.kdump-$comp"
if [ "$elf" = 1 ] && [ -n "${5:-}" ]; then
  dd if="$WORK/disk.img" bs=1M skip=256 2>/dev/null | head -c "$5" > "$OUT/vmcore.elf"
  elfdump="vmcore.elf=$OUT/vmcore.elf:elf-unfiltered:cat /proc/vmcore, in the capture kernel"
else
  rm -f "$OUT/vmcore.elf"
fi

clean_log "$WORK/serial0.log" > "$WORK/console.log"
cap=$(grep -n 'Linux version' "$WORK/console.log" | sed -n '2s/:.*//p')
[ -n "$cap" ] || cap=$(($(wc -l < "$WORK/console.log") + 1))
head -n $((cap - 1)) "$WORK/console.log" > "$OUT/serial-first-kernel.log"
tail -n +"$cap" "$WORK/console.log" > "$OUT/serial-capture-kernel.log"
# A panic in NMI context on 6.12 reaches kexec before the console is flushed: then the panic lines are only in
# the log makedumpfile --dump-dmesg extracted in the capture kernel.
con="$OUT/serial-first-kernel.log"; consrc="serial console (first kernel)"
# An oops with panic_on_oops=1 kexecs from oops_end(), before panic(): its "Oops:" line stands in for the panic.
grep -qE 'Kernel panic - not syncing|\] Oops: ' "$con" || { con="$OUT/dmesg.txt"; consrc="dmesg.txt (makedumpfile --dump-dmesg in the capture kernel): the console never printed the panic"; }
if [ -n "$oops_ko" ]; then cp "$oops_ko" "$OUT/ct_oops.ko"; else rm -f "$OUT/ct_oops.ko"; fi
total_s=$(elapsed "$t0" "$(now)")
# where the time went, in guest uptime seconds: the first kernel's phases (guest-init.sh: CT phase NAME UPTIME) and
# the capture kernel's (its "capture: phase NAME UPTIME" console lines)
phases() { awk -v k="$1" '{ sub(/\r$/, "") } $1 == k && $2 == "phase" { printf "%s\"%s\":%s", n++ ? "," : "", $3, $4 }' "$2"; }
first_phases=$(phases CT "$WORK/serial1.log")
cap_phases=$(phases capture: "$OUT/serial-capture-kernel.log")
# shellcheck disable=SC2086
node "$QEMU_DIR/facts.mjs" --facts "$WORK/serial1.log" --console "$con" --console-source "$consrc" --out "$OUT/case.json" \
  --set "case=$name" --set "kernel_release_expected=$REL" \
  --set "trigger={\"name\":\"$trig\",\"guest_facts\":$(grep -c '^CT ' "$WORK/serial1.log")}" \
  --set "qemu_cmdline=qemu-system-x86_64 -accel $accel -m $mem -smp $smp -append '$append'" \
  --set "made_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --set "timings_seconds={\"qemu\":$qemu_s,\"total\":$total_s,\"first_kernel_uptime\":{$first_phases},\"capture_kernel_uptime\":{$cap_phases}}" \
  --dump "vmcore.kdump-$comp=$OUT/vmcore.kdump-$comp:kdump-$comp:$(makedumpfile -v 2>&1 | head -n1) (Debian 12) $([ "$comp" = lzo ] && echo -l || echo -c) -d $lvl /proc/vmcore, in the capture kernel" \
  ${elfdump:+--dump "$elfdump"}
echo "make-scenario.sh: $name done in ${total_s}s (qemu ${qemu_s}s) -> $OUT" >&2
