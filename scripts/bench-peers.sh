#!/usr/bin/env bash
# Side-by-side wall time and peak memory of crash-ts, crash 9 and drgn on the same dump, per command,
# each run in a fresh process (start-up included, as a user experiences it).
#   scripts/bench-peers.sh [VMLINUX VMCORE]
# crash 9 and drgn run in the sid chroot of ../shared/peers (setup-sid.sh); they are skipped when absent.
# Default pair: the corpus 6.1 debug vmlinux (fetch-debug-vmlinux.sh) + k61-sysrq-c's kdump-zlib.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${CRASH_TS_SHARED:-$here/../shared}
V=${1:-$("$shared/corpus/fetch-debug-vmlinux.sh" 6.1.0-56-cloud-amd64)}
D=${2:-$shared/corpus/cases/k61-sysrq-c/vmcore.kdump-zlib}
peers=$shared/peers/in-sid
have_peers=1; [ -x "$HOME/.cache/crash-ts-peers/sid/usr/bin/crash" ] || have_peers=0
[ $have_peers = 1 ] || echo "(no peers chroot at $shared/peers: crash-ts figures only; run $shared/peers/setup-sid.sh)"

measure() { # command... ; prints "seconds maxrss_kb", or "failed 0" when the run failed: a peer that could not
  # open the dump (a stale bind mount of ../shared/peers/in-sid, a missing file) is fast, and must not look fast.
  # crash exits 1 even after a good session, so its failure is read from what it printed (its usage text, or
  # "crash: ..." naming what it could not open).
  local f o st=0
  f=$(mktemp); o=$(mktemp)
  /usr/bin/time -o "$f" -f '%e %M' "$@" >"$o" 2>&1 || st=$?
  if grep -qE '^(Usage:|crash: |Traceback|.*No such file or directory)' "$o" || { [ $st != 0 ] && [ "$1" != bash ]; }; then
    echo failed 0
  else
    tail -n 1 "$f"
  fi
  rm -f "$f" "$o"
}

printf '%-8s %16s %16s %16s %9s\n' cmd crash-ts crash-9 drgn "crash/ts"
for cmd in q sys ps bt log 'kmem -i' 'kmem -s'; do
  read -r ts tm < <(measure bash -c "echo '$cmd' | '$here/bin/crash-ts' -s '$V' '$D'")
  if [ $have_peers = 1 ]; then
    read -r cs cm < <(measure bash -c "echo '$cmd' | '$peers' crash -s '$V' '$D'")
    ratio=$(awk -v a="$cs" -v b="$ts" 'BEGIN { if (a == "failed") print "-"; else printf "%.1fx", a / b }')
  else cs=-; cm=0; ratio=-; fi
  drgn=-
  if [ $have_peers = 1 ]; then
    case $cmd in
      q) expr='0' ;;
      ps) expr='from drgn.helpers.linux.pid import for_each_task; print(sum(1 for _ in for_each_task(prog)))' ;;
      bt) expr='print(prog.crashed_thread().stack_trace())' ;;
      log) expr='from drgn.helpers.linux.printk import get_printk_records; print(len(get_printk_records(prog)))' ;;
      sys) expr='print(prog["init_uts_ns"].name.release.string_())' ;;
      # drgn 0.3's crash-compatible kmem
      kmem*) expr="from drgn.commands import run_command; run_command(prog, 'crash $cmd')" ;;
    esac
    read -r gs gm < <(measure "$peers" drgn -q -s "$V" -c "$D" -e "$expr")
    drgn="${gs}s $((gm / 1024))MB"
  fi
  printf '%-8s %16s %16s %16s %9s\n' "$cmd" "${ts}s $((tm / 1024))MB" "${cs}s $((cm / 1024))MB" "$drgn" "$ratio"
done

# start-up: cold and warm (the on-disk cache), p jiffies, log after open, the first prompt: its own script
echo
node "$here/dist/scripts/bench-startup.js" "$V" "$D"

# at scale (the 10,000-thread dump) and kmem -s: scripts/bench-scale.sh, its own file
echo
"$here/scripts/bench-scale.sh"
