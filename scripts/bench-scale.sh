#!/usr/bin/env bash
# Speed at scale, side by side with drgn 0.3 (its crash-compatible commands, in ../shared/peers' sid chroot):
# per-task commands on the 10,000-thread dump (scripts/qemu/make-scenario.sh k612-10k-threads) and `kmem -s` on
# the corpus dumps (and `kmem -i`). Each figure is one fresh process (start-up included): wall seconds, CPU
# seconds (user+sys: on a loaded machine the fairer figure) and peak RSS; the load average is printed with them.
#   scripts/bench-scale.sh            (npm run bench:peers runs it after its own table)
# Skips, with a line saying why, what it lacks (the 10k dump, the debug vmlinux, the peers). A drgn run that
# stops with an error (0.3's foreach files faults on this dump) gets no ratio. ../shared/peers/in-sid binds a
# dump's folder once: a folder remade since (a new k612-10k-threads) must have its old bind unmounted first.
# The sums in docs/performance.md ("At scale") come from this script.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${CRASH_TS_SHARED:-$here/../shared}
cache=${CRASH_TS_CORPUS_CACHE:-$HOME/.cache/crash-ts-corpus}
scen=${CRASH_TS_SCENARIOS:-$cache/scenarios}
peers=$shared/peers/in-sid
have_peers=1; [ -x "$HOME/.cache/crash-ts-peers/sid/usr/bin/crash" ] || have_peers=0

measure() { # command... ; prints "wall cpu maxrss_kb ok|failed"
  local f st=ok
  f=$(mktemp)
  /usr/bin/time -o "$f" -f '%e %U %S %M' "$@" >/dev/null 2>&1 || st=failed
  tail -n 1 "$f" | awk -v st=$st '{ printf "%s %.2f %s %s\n", $1, $2 + $3, $4, st }'
  rm -f "$f"
}
row() { # label ts-triple drgn-triple|-
  local label=$1 tw tc tm ts gw gc gm gs ratio
  read -r tw tc tm ts <<< "$2"
  if [ "$3" = - ]; then gw=-; gc=-; gm=0; ratio=-; else
    read -r gw gc gm gs <<< "$3"
    ratio=$(awk -v a="$tw" -v b="$gw" -v c="$tc" -v d="$gc" 'BEGIN { printf "%.2fx/%.2fx", a / b, c / d }')
    # a peer that stopped with an error did not do the same work: no ratio
    [ "$gs" = ok ] || ratio="(drgn failed: no ratio)"
  fi
  [ "$ts" = ok ] || ratio="(crash-ts failed) $ratio"
  printf '%-22s %7ss %6ss %5sMB   %7ss %6ss %5sMB   %s\n' "$label" "$tw" "$tc" $((tm / 1024)) "$gw" "$gc" $((gm / 1024)) "$ratio"
}
ts() { measure bash -c "printf '%s\n' \"\$1\" | '$here/bin/crash-ts' -s \"\$2\" \"\$3\"" _ "$1" "$2" "$3"; }
drgn_cmd() { # crash-command vmlinux vmcore
  [ $have_peers = 1 ] || { echo -; return; }
  measure "$peers" drgn -q -s "$2" -c "$3" -e "from drgn.commands import run_command; run_command(prog, 'crash $1')"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   (columns: crash-ts wall, cpu, rss | drgn wall, cpu, rss | ts/drgn wall/cpu)"
rel=6.12.107+deb12-cloud-amd64
V612=$cache/$rel/vmlinux-$rel
# vmcore.kdump-lzo as make-scenario.sh makes it now, vmcore.kdump-zlib if made by hand before (either may be
# missing: `|| true`, or pipefail would end the script at the missing one)
D10k=$(ls "$scen"/k612-10k-threads/vmcore.kdump-zlib "$scen"/k612-10k-threads/vmcore.kdump-lzo 2>/dev/null | head -n 1 || true)
if [ -f "$D10k" ] && [ -f "$V612" ]; then
  # a thread of the 10,000 (the last ct-many-N the guest listed) for the one-task commands
  pid=$(node -e "const c=require('$scen/k612-10k-threads/case.json');const w=c.workload.find(x=>x.comm==='ct-many');console.log(c.workload_threads.filter(t=>t.tgid===w.pid).at(-1).pid)")
  echo "k612-10k-threads ($(grep -c '"tgid"' "$scen/k612-10k-threads/case.json") threads in case.json), debug vmlinux:"
  row "ps" "$(ts ps "$V612" "$D10k")" "$(drgn_cmd ps "$V612" "$D10k")"
  row "ps -p $pid" "$(ts "ps -p $pid" "$V612" "$D10k")" "$(drgn_cmd "ps -p $pid" "$V612" "$D10k")"
  row "ps $pid" "$(ts "ps $pid" "$V612" "$D10k")" "$(drgn_cmd "ps $pid" "$V612" "$D10k")"
  row "foreach bt" "$(ts 'foreach bt' "$V612" "$D10k")" "$(drgn_cmd 'foreach bt' "$V612" "$D10k")"
  row "foreach files" "$(ts 'foreach files' "$V612" "$D10k")" "$(drgn_cmd 'foreach files' "$V612" "$D10k")"
else
  echo "k612-10k-threads: skipped (no $D10k or $V612; scripts/qemu/make-scenario.sh k612-10k-threads $scen/k612-10k-threads)"
fi
for c in k61-proc-truth k612-proc-truth; do
  d=$(ls "$shared/corpus/cases/$c"/vmcore.kdump-zlib* 2>/dev/null | head -n 1 || true)
  r=$(node -e "console.log(require('$shared/corpus/cases/$c/case.json').kernel_release)" 2>/dev/null || true)
  v=$cache/$r/vmlinux-$r
  if [ -n "$d" ] && [ -f "$v" ]; then
    row "kmem -s ($c)" "$(ts 'kmem -s' "$v" "$d")" "$(drgn_cmd 'kmem -s' "$v" "$d")"
    row "kmem -i ($c)" "$(ts 'kmem -i' "$v" "$d")" "$(drgn_cmd 'kmem -i' "$v" "$d")"
  else
    echo "kmem -s ($c): skipped (no dump or debug vmlinux)"
  fi
done
