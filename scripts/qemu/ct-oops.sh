#!/bin/sh
# named so the crashing task is recognisable (comm = ct-oops); the word says how (ct-oops/ct_oops.c, the module
# must be loaded): oops (default) -> ct_oops_proc_write -> ct_oops_trigger -> ct_oops_write_null, a NULL pointer
# write; timer -> the same write from a timer callback (softirq); warn -> a WARN(); lockup -> a spin with
# preemption disabled
case ${1:-oops} in
  oops) echo oops > /proc/ct-oops ;;
  *) echo "$1" > "/proc/ct-oops-$1" ;;
esac
# timer: the Oops comes from the timer softirq a tick later
sleep 5
