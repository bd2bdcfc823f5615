#!/bin/sh
# /init of the guest initramfs built by build-initramfs.sh (busybox ash).
#   first kernel, ct.mode=sample: load the capture kernel (kexec -p), start the workload, report
#     facts on ttyS1, write a marker to /dev/kmsg, crash with sysrq-c (make-sample.sh).
#   first kernel, ct.mode=qemu: load qemu_fw_cfg (it writes VMCOREINFO to QEMU's vmcoreinfo device),
#     start the workload, report facts on ttyS1, idle: the host dumps over QMP (make-qemu-dumps.sh).
#   capture kernel (/proc/vmcore exists): makedumpfile -c -d 31 (ct.compress=lzo: -l) and --dump-dmesg, both written raw
#     to the NVMe disk (layout below), then power off.
# Facts lines on ttyS1 are "CT <key> <value...>"; the host parses them (scripts/qemu/facts.mjs).
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp && mount -t tmpfs tmp /tmp

# disk drivers built as modules (the generic and rt flavours' nvme: build-initramfs.sh), in load order; their
# controllers probe asynchronously: wait (up to 10 s) for the first NVMe namespace
if [ -n "$(ls /lib/modules/boot 2>/dev/null)" ]; then
  for m in /lib/modules/boot/*.ko; do insmod "$m" 2>/dev/null; done
  i=0; while [ ! -e /dev/nvme0n1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
fi

# seconds since this kernel booted (timing facts: where a scenario's time goes)
up() { cut -d' ' -f1 /proc/uptime; }
arg() { for w in $(cat /proc/cmdline); do case $w in "$1"=*) echo "${w#*=}";; esac; done; }

# The dump disk: the NVMe controller whose serial is "ctdump" (a scenario may attach a second one).
dump_disk() {
  for c in /sys/class/nvme/nvme*; do
    grep -q '^ctdump' "$c/serial" 2>/dev/null && { echo "/dev/${c##*/}n1"; return; }
  done
  echo /dev/nvme0n1
}

if [ -e /proc/vmcore ]; then
  # Disk layout (read by the host scripts): block 0 holds one text line
  #   "CTDUMP1 <dmesg bytes> <vmcore bytes> <makedumpfile exit status> [<raw ELF bytes>]"
  # dmesg text at 1 MiB, the kdump file at 4 MiB, and with ct.elf=1 /proc/vmcore itself (unfiltered ELF) at 256 MiB.
  disk=$(dump_disk)
  lvl=$(arg ct.dumplevel); lvl=${lvl:-31}
  copt=-c; [ "$(arg ct.compress)" = lzo ] && copt=-l
  echo "capture: makedumpfile $copt -d $lvl /proc/vmcore"
  echo "capture: phase makedumpfile_start $(up)"
  makedumpfile $copt -d "$lvl" /proc/vmcore /tmp/vmcore; rc=$?
  echo "capture: phase makedumpfile_done $(up)"
  makedumpfile --dump-dmesg /proc/vmcore /tmp/dmesg.txt >/dev/null 2>&1 || : > /tmp/dmesg.txt
  vs=$(wc -c < /tmp/vmcore 2>/dev/null || echo 0); ds=$(wc -c < /tmp/dmesg.txt)
  es=
  if [ "$(arg ct.elf)" = 1 ]; then
    echo "capture: cat /proc/vmcore (unfiltered ELF)"
    cat /proc/vmcore | dd of="$disk" bs=1048576 seek=256 conv=fsync 2>/dev/null
    es=$(wc -c < /proc/vmcore)
  fi
  printf 'CTDUMP1 %s %s %s %s\n' "$ds" "$vs" "$rc" "$es" > /tmp/hdr
  dd if=/tmp/hdr of="$disk" bs=4096 count=1 conv=sync,notrunc 2>/dev/null
  dd if=/tmp/dmesg.txt of="$disk" bs=1048576 seek=1 conv=fsync,notrunc 2>/dev/null
  # O_DIRECT (the last block padded): ~90 MB in 10k-threads, the page cache copy cost TCG seconds
  dd if=/tmp/vmcore of="$disk" bs=1048576 seek=4 conv=sync,notrunc,fsync oflag=direct 2>/dev/null
  sync
  echo "capture: phase written $(up)"
  echo "capture: done rc=$rc vmcore=$vs dmesg=$ds elf=$es"
  poweroff -f
fi

# A scenario's extra disks by NVMe serial: "ctdata" (ext4: the hung-task scenario's frozen filesystem, the
# ipc-swap-arp scenario's swap file; raw: the io scenario's throttled disk), "ctswap" (raw: the ipc-swap-arp
# scenario's swap partition)
disk_by_serial() {
  for c in /sys/class/nvme/nvme*; do
    grep -q "^$1" "$c/serial" 2>/dev/null && { echo "/dev/${c##*/}n1"; return; }
  done
}
data_disk() { disk_by_serial ctdata; }

mode=$(arg ct.mode)
F=/dev/ttyS1
fact() { echo "CT $*" > $F; }
fact begin "$mode"
fact phase init "$(up)"

if [ "$mode" = qemu ]; then
  insmod /lib/modules/qemu_fw_cfg.ko && fact fw_cfg loaded || fact fw_cfg failed
  fact vmcoreinfo_sysfs "$(ls /sys/firmware/qemu_fw_cfg/by_name/etc 2>/dev/null | tr '\n' ' ')"
fi
if [ "$mode" = sample ] || [ "$mode" = scenario ]; then
  capargs=
  for k in ct.elf ct.dumplevel ct.compress; do v=$(arg $k); [ -n "$v" ] && capargs="$capargs $k=$v"; done
  kexec -p /boot/vmlinuz --initrd=/boot/initrd-capture.img \
    --append="console=ttyS0 irqpoll nr_cpus=1 reset_devices panic=1$capargs" && fact kexec loaded || fact kexec failed
  fact kexec_crash_loaded "$(cat /sys/kernel/kexec_crash_loaded)"
  fact phase kexec_loaded "$(up)"
  # no capture kernel (e.g. crashkernel= found no room): a scenario would crash for nothing
  [ "$mode" = scenario ] && [ "$(cat /sys/kernel/kexec_crash_loaded)" != 1 ] && { fact error "no capture kernel loaded"; poweroff -f; }
fi

# ct.offline=N (make-qemu-dumps.sh): take CPU N offline before anything runs; its idle task stays
if [ -n "$(arg ct.offline)" ]; then
  n=$(arg ct.offline)
  echo 0 > /sys/devices/system/cpu/cpu$n/online && fact cpu_offline "$n" || fact error "cannot take cpu$n offline"
  fact cpus_online "$(cat /sys/devices/system/cpu/online)"
fi

# The workload (scripts/qemu/ct-workload.c); the stopped one gets SIGSTOP once it runs.
for m in sleeper stopped spinner zombie tree threads vfork; do /bin/ct-workload $m & done
sleep 2
kill -STOP $(pidof ct-stopped)
sleep 1
fact phase workload_started "$(up)"
# ct.trigger=10k-threads (make-scenario.sh): one process of 10,000 threads (ct-many), before the task list below
if [ "$(arg ct.trigger)" = 10k-threads ]; then
  echo 40000 > /proc/sys/kernel/threads-max
  echo 65536 > /proc/sys/kernel/pid_max
  fact threads_max "$(cat /proc/sys/kernel/threads-max)"
  fact phase many_start "$(up)"
  /bin/ct-workload many 10000 &
  i=0
  until [ -s /tmp/ct-many.ready ] || [ $i -ge 600 ]; do sleep 1; i=$((i + 1)); done
  fact many_threads "$(cat /tmp/ct-many.ready 2>/dev/null)"
  fact phase many_ready "$(up)"
fi

# ct.trigger=ipc-swap-arp (make-scenario.sh): ARP entries, two swap areas with pages in them, System V IPC objects
# (ct-ipc and ct-swapper run before the task list below, so it names them)
if [ "$(arg ct.trigger)" = ipc-swap-arp ]; then
  for m in /lib/modules/net/*.ko; do [ -e "$m" ] && { insmod "$m" || fact error "insmod $m failed"; }; done
  # QEMU user networking: the guest is 10.0.2.15/24, the gateway 10.0.2.2 answers ARP (a dynamic entry); one
  # permanent entry more, set by hand
  ip link set lo up
  if ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0; then
    fact net_up "eth0 $(cat /sys/class/net/eth0/address)"
    ping -c 2 -W 3 10.0.2.2 >/dev/null 2>&1 && fact ping "10.0.2.2 ok" || fact ping "10.0.2.2 failed"
    arp -i eth0 -s 10.0.2.77 52:54:00:c7:00:77 || fact error "arp -s failed"
  else
    fact error "no eth0"
  fi
  # swap: a 16 MiB file on the ext4 data disk at priority 5 (ct-workload swapon: busybox swapon has no -p), and
  # the whole raw swap disk at the kernel's default priority
  mkdir -p /mnt && mount -t ext4 "$(data_disk)" /mnt || fact error "cannot mount the data disk"
  dd if=/dev/zero of=/mnt/ct-swapfile bs=1M count=16 2>/dev/null && chmod 600 /mnt/ct-swapfile
  mkswap /mnt/ct-swapfile >/dev/null && /bin/ct-workload swapon /mnt/ct-swapfile 5 || fact error "swapon of the file failed"
  sd=$(disk_by_serial ctswap)
  mkswap "$sd" >/dev/null && swapon "$sd" || fact error "swapon $sd failed"
  /bin/ct-workload ipc &
  /bin/ct-workload swapper &
  # one socket of each kind net -s names: UNIX (path, abstract, pairs), TCP, UDP, TCP6, UDP6, raw, netlink, packet
  /bin/ct-workload sockets 2>/dev/kmsg &
  i=0
  until [ -e /tmp/ct-ipc.ready ] && [ -e /tmp/ct-swapper.ready ] && [ -e /tmp/ct-sockets.ready ] || [ $i -ge 60 ]; do
    sleep 1; i=$((i + 1))
  done
  [ -e /tmp/ct-ipc.ready ] || fact error "ct-ipc never got ready"
  [ -e /tmp/ct-swapper.ready ] || fact error "ct-swapper never got ready"
  [ -e /tmp/ct-sockets.ready ] || fact error "ct-sockets never got ready"
fi

fact phase snapshot_start "$(up)"
fact release "$(uname -r)"
fact version "$(cat /proc/version)"
fact cmdline "$(cat /proc/cmdline)"
fact ncpus "$(grep -c ^processor /proc/cpuinfo)"
fact memtotal "$(sed -n 's/^MemTotal: *//p' /proc/meminfo)"
fact iomem_kernel_code "$(grep -m1 'Kernel code' /proc/iomem | tr -d ' ')"
# /proc/kallsyms is long: one fixed-string pass (busybox grep -E takes ~8 s of TCG time on it, grep -F under 1 s),
# then the exact names from the few lines it kept
grep -F -e ' _stext' -e ' _text' -e ' linux_banner' -e ' init_task' /proc/kallsyms |
  grep -E ' (_stext|_text|linux_banner|init_task)$' | while read -r l; do fact ksym "$l"; done
fact phase ksyms_done "$(up)"
# Every task /proc shows, threads included: tgid pid ppid state comm. One cat and one awk for all of them (10,000
# threads in 10k-threads): a status file gives Name, State, Tgid, Pid, then PPid, where its line is printed.
if [ "$(arg ct.trigger)" = 10k-threads ]; then
  # 10,000 status files: busybox awk spends ~30 s of TCG time on them, the C lister (ct-tasks) ~3 s
  /bin/ct-workload tasks > $F
else
  cat /proc/[0-9]*/task/[0-9]*/status 2>/dev/null | awk '
    /^Name:/ { n = $2 } /^State:/ { s = $2 } /^Tgid:/ { g = $2 } /^Pid:/ { p = $2 }
    /^PPid:/ { print "CT task " g " " p " " $2 " " s " " n }' > $F
fi
fact phase snapshot_done "$(up)"

if [ "$mode" = sample ]; then
  marker="crash-ts sample: marker $(cat /proc/sys/kernel/random/boot_id)"
  echo "$marker" > /dev/kmsg
  fact marker "$marker"
  fact crashing now
  sleep 1
  /bin/ct-crash
  fact error "still alive after sysrq-c"
fi
if [ "$mode" = scenario ]; then
  # ct.trigger (scripts/qemu/make-scenario.sh): how this kernel dies after the marker
  trig=$(arg ct.trigger)
  fact trigger "$trig"
  case $trig in
    oom) echo 1 > /proc/sys/vm/panic_on_oom ;;
    hung)
      mkdir -p /mnt && mount -t ext4 "$(data_disk)" /mnt && fact data_mounted "$(data_disk)"
      echo 1 > /proc/sys/kernel/hung_task_panic
      echo 2 > /proc/sys/kernel/hung_task_timeout_secs ;;
    nmi) echo 1 > /proc/sys/kernel/unknown_nmi_panic ;;
    kbd-sysrq) echo 1 > /proc/sys/kernel/sysrq ;;
    oops|timer-oops|warn|softlockup)
      # ct_oops.ko (scripts/qemu/ct-oops): unsigned and out of tree, so loading it taints the kernel (E, O)
      insmod /lib/modules/ct_oops.ko || { fact error "insmod ct_oops.ko failed"; poweroff -f; }
      fact module "$(grep '^ct_oops ' /proc/modules)"
      for s in ct_oops_write_null ct_oops_trigger ct_oops_proc_write ct_oops_timer_fn ct_oops_timer_write \
        ct_oops_warn ct_oops_warn_write ct_oops_spin ct_oops_lockup_write; do
        fact ksym "$(awk -v s=$s '$3 == s { print $1, $2, $3; exit }' /proc/kallsyms)"
      done
      fact tainted "$(cat /proc/sys/kernel/tainted)"
      case $trig in
        # oops_end() then calls crash_kexec() itself, before panic("Fatal exception"); in a timer (softirq) it
        # does so whatever panic_on_oops says
        oops|timer-oops) echo 1 > /proc/sys/kernel/panic_on_oops ;;
        # __warn() panics: "kernel: panic_on_warn set ..."
        warn) echo 1 > /proc/sys/kernel/panic_on_warn ;;
        # the soft-lockup threshold is twice watchdog_thresh: 2 s
        softlockup)
          echo 1 > /proc/sys/kernel/softlockup_panic
          echo 1 > /proc/sys/kernel/watchdog_thresh
          fact watchdog_thresh "$(cat /proc/sys/kernel/watchdog_thresh)" ;;
      esac ;;
    bigmem)
      # what the kernel made of the memory: the RAM ranges (/proc/iomem) and each zone's pages (/proc/zoneinfo)
      grep 'System RAM' /proc/iomem | while read -r l; do fact iomem_ram "$(echo "$l" | tr -d ' ')"; done
      awk '/^Node/ { z = $2 " " $4 } /^ +spanned/ { sp = $2 } /^ +present/ { pr = $2 } /^ +managed/ { mg = $2 }
        /^ +start_pfn:/ { print "CT zone " z " " $2 " " sp " " pr " " mg }' /proc/zoneinfo > $F ;;
  esac
  # ct.fill-log=N (CT_APPEND, with printk.devkmsg=on so /dev/kmsg is not rate-limited, and log_buf_len=1M): N
  # lines through /dev/kmsg first, to wrap the ring buffer (the benchmark of `log` on a full 1 MB ring)
  n=$(arg ct.fill-log)
  if [ -n "$n" ]; then
    i=0
    while [ $i -lt "$n" ]; do
      echo "ct fill-log line $i: the quick brown fox jumps over the lazy dog, again and again" > /dev/kmsg
      i=$((i + 1))
    done
    fact fill_log "$n"
  fi
  marker="crash-ts scenario $trig: marker $(cat /proc/sys/kernel/random/boot_id)"
  if [ "$trig" = ipc-swap-arp ]; then
    # what the commands ipcs, swap and net -a must find: these files as they are right before the crash,
    # one fact per line, headers included (facts.mjs turns them into case.json's ipc_swap_arp)
    for f in shm sem msg; do
      while IFS= read -r l; do fact "sysvipc_$f" "$l"; done < /proc/sysvipc/$f
    done
    while IFS= read -r l; do fact swaps "$l"; done < /proc/swaps
    while IFS= read -r l; do fact arp "$l"; done < /proc/net/arp
    fact meminfo_swap "$(grep -E '^Swap(Total|Free|Cached):' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
    # ct-sockets' fds (readlink: socket:[INODE]) and the /proc/net tables that give each socket's kind, state,
    # addresses and path by that inode; kptr_restrict=1 so that their sock pointers (%pK) are the real addresses
    sp=$(pidof ct-sockets)
    fact sockets_pid "$sp"
    for f in /proc/$sp/fd/*; do fact sockets_fd "${f##*/} $(readlink "$f")"; done
    kr=$(cat /proc/sys/kernel/kptr_restrict); echo 1 > /proc/sys/kernel/kptr_restrict
    for n in unix tcp tcp6 udp udp6 raw netlink packet; do
      while IFS= read -r l; do fact "proc_net_$n" "$l"; done < /proc/net/$n
    done
    echo "$kr" > /proc/sys/kernel/kptr_restrict
  fi
  echo "$marker" > /dev/kmsg
  fact marker "$marker"
  sleep 1
  fact phase crash "$(up)"
  fact crashing now
  case $trig in
    sysrq-c|10k-threads|ipc-swap-arp|bigmem) /bin/ct-crash ;;
    io)
      d=$(data_disk); fact data_disk "$d"
      for i in 0 1 2; do (while :; do dd if="$d" of=/dev/null bs=4096 skip=$((i * 4096)) count=4096 iflag=direct 2>/dev/null; done) & done
      (while :; do dd if=/dev/zero of="$d" bs=4096 seek=12288 count=4096 oflag=direct 2>/dev/null; done) &
      sleep 2
      # on the console too (serial-first-kernel.log): which disk the tests must find busy
      echo "crash-ts io: data disk ${d#/dev/}, in flight (reads writes): $(cat /sys/block/${d#/dev/}/inflight)" > /dev/kmsg
      /bin/ct-crash ;;
    oops) /bin/ct-oops; fact error "still alive after the oops" ;;
    timer-oops) /bin/ct-oops timer; fact error "still alive after the oops in the timer" ;;
    warn) /bin/ct-oops warn; fact error "still alive after the WARN" ;;
    softlockup) /bin/ct-oops lockup; fact error "still alive after the soft lockup" ;;
    oom) /bin/ct-workload hog ;;
    hung) fsfreeze --freeze /mnt && fact frozen /mnt; /bin/ct-workload frozen /mnt/f & fact frozen_writer $! ;;
    exit) fact init_exits now; exit 0 ;;
  esac
  # nmi, kbd-sysrq: the host injects the NMI / presses Alt-SysRq-C over QMP once it reads "CT host-trigger"
  fact host-trigger now
  while :; do sleep 3600; done
fi
fact ready
while :; do sleep 3600; done
