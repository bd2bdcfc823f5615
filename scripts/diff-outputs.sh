#!/usr/bin/env bash
# Byte-for-byte output comparison of two crash-ts builds (a regression net for speed work): every dump of the
# corpus (/work/shared/corpus/cases/*) and the made dumps (~/.cache/crash-ts-corpus/{qemu,scenarios}) gets one
# session of ~70 commands (check.py's breadth list and crash-9-ext's, plus ps/bt/kmem/net variants) through
# OLD/bin/crash-ts and NEW/bin/crash-ts, cold (empty XDG_CACHE_HOME) then warm (same cache dir again), and a
# short session with no vmlinux. stdout and stderr are compared separately; each command is preceded by a
# marker `p 9000N` so a difference can be traced to its command.
#
#   scripts/diff-outputs.sh OLD_TREE NEW_TREE [OUT_DIR] [NAME_REGEX]
#
# VARIANT=nodwarf or nobtf opens ~/.cache/crash-ts-corpus/VARIANT/vmlinux-RELEASE.VARIANT instead.
# Writes OUT_DIR/<dump>/<mode>.{old,new}.{out,err} and prints one line per differing file; exit 0 when none.
set -u
OLD=${1:?OLD tree}
NEW=${2:?NEW tree}
OUT=${3:-/tmp/diff-outputs}
ONLY=${4:-.}
CACHE=${CRASH_TS_CORPUS_CACHE:-$HOME/.cache/crash-ts-corpus}
CORPUS=${CRASH_TS_CORPUS:-$(dirname "$0")/../../../shared/corpus}
[ -d "$CORPUS/cases" ] || CORPUS=/work/shared/corpus
mkdir -p "$OUT"

release_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kernel_release"])' "$1"; }

# dump name, vmcore path, release
list_dumps() {
  for c in "$CORPUS"/cases/*/; do
    n=$(basename "$c")
    rel=$(release_of "$c/case.json")
    for f in $(python3 -c 'import json,sys; print(" ".join(d["file"] for d in json.load(open(sys.argv[1]))["dumps"]))' "$c/case.json"); do
      p="$c/$f"
      [[ $f == *.gz ]] && p="$CACHE/dumps/$n/${f%.gz}" # the corpus README: a .gz dump is opened unpacked
      [ -f "$p" ] && echo "$n:$f $p $rel"
    done
  done
  for c in "$CACHE"/scenarios/*/; do
    n=$(basename "$c")
    [ -f "$c/case.json" ] || continue
    rel=$(release_of "$c/case.json")
    for p in "$c"/vmcore.*; do [ -f "$p" ] && echo "$n:$(basename "$p") $p $rel"; done
  done
  for fj in "$CACHE"/qemu/qemu-facts*.json; do
    rel=$(release_of "$fj")
    sfx=$(basename "$fj" .json); sfx=${sfx#qemu-facts}
    for p in "$CACHE"/qemu/qemu-elf"$sfx".vmcore "$CACHE"/qemu/qemu-kdump-zlib"$sfx".vmcore; do
      [ -f "$p" ] && echo "qemu:$(basename "$p") $p $rel"
    done
  done
}

commands() { # $1 init_task address, $2 pid 1's task address, $3 slow (1) or not
  local I=$1 T=$2
  cat <<EOF
sys
sys -c
sys -i
ps
ps -p 1
ps -c 1
ps -t 1
ps -l
ps -a 1
ps -k
ps -u
ps -G
bt
bt -a
bt -f
bt -l
bt 1
log
log -T
log -t
mod
mod -s
sym init_task
sym linux_banner
sym schedule
sym $I
p jiffies
p init_task.comm
p/x init_task.flags
p &init_task
p sizeof(struct task_struct)
whatis jiffies
whatis schedule
whatis struct list_head
struct task_struct.pid
struct task_struct.comm,pid,__state init_task
struct -o list_head
kmem -i
kmem -v
kmem -V
kmem -z
kmem -n
kmem -h
kmem -S task_struct
kmem -s task_struct
kmem $I
kmem $T
vtop $I
vtop $T
rd -s $I 8
rd -p 0x1000 4
dis -l panic 8
dis sysrq_handle_crash
files 1
vm 1
sig 1
task 1
task -R comm,pid,prio
runq
runq -t
mount
net
net -s
net -S
irq
irq -s
dev
dev -d
timer
swap
ipcs
mach
fuser /
list task_struct.tasks -s task_struct.pid -h $I
EOF
  if [ "$3" = 1 ]; then
    cat <<EOF
kmem -s
kmem -f
foreach bt
foreach files
search -k $T
EOF
  fi
}

marked() { local i=0; while IFS= read -r c; do i=$((i + 1)); echo "p $((90000 + i))"; echo "$c"; done; }

run() { # tree, vmlinux or "", vmcore, cache dir, out prefix ; stdin: commands
  if [ -n "$2" ]; then
    XDG_CACHE_HOME=$4 nice -n 10 timeout 900 "$1/bin/crash-ts" -s "$2" "$3" >"$5.out" 2>"$5.err"
  else
    XDG_CACHE_HOME=$4 nice -n 10 timeout 900 "$1/bin/crash-ts" -s "$3" >"$5.out" 2>"$5.err"
  fi
  echo "exit $?" >>"$5.err"
}

ndiff=0
cmp_pair() { # out prefix
  for s in out err; do
    if ! cmp -s "$1.old.$s" "$1.new.$s"; then
      echo "DIFF $1.{old,new}.$s ($(diff "$1.old.$s" "$1.new.$s" | grep -c '^[<>]') lines)"
      ndiff=$((ndiff + 1))
    fi
  done
}

while read -r name vmcore rel; do
  [[ $name =~ $ONLY ]] || continue
  vml=$CACHE/$rel/vmlinux-$rel
  # VARIANT=nodwarf|nobtf: the vmlinux stripped of its DWARF (types from BTF alone) or of its .BTF
  [ -n "${VARIANT:-}" ] && vml=$CACHE/$VARIANT/vmlinux-$rel.$VARIANT
  d=$OUT/${name//[:\/]/_}
  mkdir -p "$d"
  slow=1
  [[ $name == *10k-threads* ]] && slow=0
  if [ -f "$vml" ]; then
    probe=$(printf 'p &init_task\nps 1\n' | nice -n 10 "$NEW/bin/crash-ts" -s "$vml" "$vmcore" 2>/dev/null)
    I=$(grep -o '0xffff[0-9a-f]*' <<<"$probe" | head -1 | sed 's/^0x//')
    T=$(awk '$1 == "1" && $2 == "0" { print $4; exit }' <<<"$probe")
    commands "${I:-init_task}" "${T:-0}" $slow | marked >"$d/cmds"
    for side in old new; do
      tree=$OLD; [ $side = new ] && tree=$NEW
      rm -rf "$d/cache.$side"; mkdir -p "$d/cache.$side"
      run "$tree" "$vml" "$vmcore" "$d/cache.$side" "$d/cold.$side" <"$d/cmds"
      run "$tree" "$vml" "$vmcore" "$d/cache.$side" "$d/warm.$side" <"$d/cmds"
    done
    cmp_pair "$d/cold"
    cmp_pair "$d/warm"
  else
    echo "SKIP $name: no $vml"
  fi
  printf 'sys\nps\nbt\nlog\nmod\nrd -s linux_banner 4\n' | marked >"$d/alone.cmds"
  for side in old new; do
    tree=$OLD; [ $side = new ] && tree=$NEW
    rm -rf "$d/cache.alone.$side"; mkdir -p "$d/cache.alone.$side"
    run "$tree" "" "$vmcore" "$d/cache.alone.$side" "$d/alone.$side" <"$d/alone.cmds"
  done
  cmp_pair "$d/alone"
  echo "done $name"
done < <(list_dumps)
echo "$ndiff differing files"
[ $ndiff = 0 ]
