#!/bin/sh
# /init of the guest initramfs built by build-initramfs.sh (busybox ash).
#   first kernel, ct.mode=sample: load the capture kernel (kexec -p), start the workload, report
#     facts on ttyS1, write a marker to /dev/kmsg, crash with sysrq-c (make-sample.sh).
#   first kernel, ct.mode=qemu: load qemu_fw_cfg (it writes VMCOREINFO to QEMU's vmcoreinfo device),
#     start the workload, report facts on ttyS1, idle: the host dumps over QMP (make-qemu-dumps.sh).
#   capture kernel (/proc/vmcore exists): makedumpfile -c -d 31 and --dump-dmesg, both written raw
#     to the NVMe disk (layout below), then power off.
# Facts lines on ttyS1 are "CT <key> <value...>"; the host parses them (scripts/qemu/facts.mjs).
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp && mount -t tmpfs tmp /tmp

arg() { for w in $(cat /proc/cmdline); do case $w in "$1"=*) echo "${w#*=}";; esac; done; }

if [ -e /proc/vmcore ]; then
  # Disk layout (read by extract-disk.sh): block 0 holds one text line
  #   "CTDUMP1 <dmesg bytes> <vmcore bytes> <makedumpfile exit status>"
  # dmesg text at 1 MiB, the kdump file at 4 MiB.
  echo "capture: makedumpfile -c -d 31 /proc/vmcore"
  makedumpfile -c -d 31 /proc/vmcore /tmp/vmcore; rc=$?
  makedumpfile --dump-dmesg /proc/vmcore /tmp/dmesg.txt >/dev/null 2>&1 || : > /tmp/dmesg.txt
  vs=$(wc -c < /tmp/vmcore 2>/dev/null || echo 0); ds=$(wc -c < /tmp/dmesg.txt)
  printf 'CTDUMP1 %s %s %s\n' "$ds" "$vs" "$rc" > /tmp/hdr
  dd if=/tmp/hdr of=/dev/nvme0n1 bs=4096 count=1 conv=sync 2>/dev/null
  dd if=/tmp/dmesg.txt of=/dev/nvme0n1 bs=1048576 seek=1 conv=fsync 2>/dev/null
  dd if=/tmp/vmcore of=/dev/nvme0n1 bs=1048576 seek=4 conv=fsync 2>/dev/null
  sync
  echo "capture: done rc=$rc vmcore=$vs dmesg=$ds"
  poweroff -f
fi

mode=$(arg ct.mode)
F=/dev/ttyS1
fact() { echo "CT $*" > $F; }
fact begin "$mode"

if [ "$mode" = qemu ]; then
  insmod /lib/modules/qemu_fw_cfg.ko && fact fw_cfg loaded || fact fw_cfg failed
  fact vmcoreinfo_sysfs "$(ls /sys/firmware/qemu_fw_cfg/by_name/etc 2>/dev/null | tr '\n' ' ')"
fi
if [ "$mode" = sample ]; then
  kexec -p /boot/vmlinuz --initrd=/boot/initrd-capture.img \
    --append="console=ttyS0 irqpoll nr_cpus=1 reset_devices panic=1" && fact kexec loaded || fact kexec failed
  fact kexec_crash_loaded "$(cat /sys/kernel/kexec_crash_loaded)"
fi

# The workload (scripts/qemu/ct-workload.c); the stopped one gets SIGSTOP once it runs.
for m in sleeper stopped spinner zombie tree threads vfork; do /bin/ct-workload $m & done
sleep 2
kill -STOP $(pidof ct-stopped)
sleep 1

fact release "$(uname -r)"
fact version "$(cat /proc/version)"
fact cmdline "$(cat /proc/cmdline)"
fact ncpus "$(grep -c ^processor /proc/cpuinfo)"
fact memtotal "$(sed -n 's/^MemTotal: *//p' /proc/meminfo)"
fact iomem_kernel_code "$(grep -m1 'Kernel code' /proc/iomem | tr -d ' ')"
for s in _stext _text linux_banner init_task; do
  fact ksym "$(grep -m1 " $s\$" /proc/kallsyms)"
done
# Every task /proc shows, threads included: tgid pid ppid state comm
for t in /proc/[0-9]*/task/[0-9]*; do
  [ -r $t/status ] || continue
  awk '
    /^Name:/ { n = $2 } /^State:/ { s = $2 } /^Tgid:/ { g = $2 } /^Pid:/ { p = $2 } /^PPid:/ { pp = $2 }
    END { print "CT task " g " " p " " pp " " s " " n }' $t/status > $F
done

if [ "$mode" = sample ]; then
  marker="crash-ts sample: marker $(cat /proc/sys/kernel/random/boot_id)"
  echo "$marker" > /dev/kmsg
  fact marker "$marker"
  fact crashing now
  sleep 1
  /bin/ct-crash
  fact error "still alive after sysrq-c"
fi
fact ready
while :; do sleep 3600; done
