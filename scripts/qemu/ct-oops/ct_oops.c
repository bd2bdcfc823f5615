// SPDX-License-Identifier: GPL-2.0
/*
 * ct_oops: kernel crashes on purpose, for crash-ts's real-crash scenarios (scripts/qemu/make-scenario.sh).
 *
 * Loading it does nothing but create four files; a write to one (guest-init.sh: /bin/ct-oops WORD, so the
 * task has its own comm) makes its crash:
 *   /proc/ct-oops: ct_oops_trigger() -> ct_oops_write_null(), a store through a NULL pointer in
 *     kernel mode: "BUG: kernel NULL pointer dereference, address: 0000000000000000", then an Oops with
 *     ct_oops_write_null in RIP and ct_oops_trigger / ct_oops_proc_write / proc_reg_write / vfs_write /
 *     ksys_write in the Call Trace. With kernel.panic_on_oops=1, oops_end() calls crash_kexec(): kdump.
 *   /proc/ct-oops-timer: arms a timer_list whose callback, ct_oops_timer_fn(), calls ct_oops_write_null() in the timer
 *     softirq (on the IRQ stack of whatever CPU runs it, over the task it interrupted): an Oops in interrupt
 *     context (kexec_should_crash() is true there whatever panic_on_oops says).
 *   /proc/ct-oops-warn: ct_oops_warn() hits a WARN(): "WARNING: CPU: n PID: p at .../ct_oops.c:NN ct_oops_warn+0x..";
 *     with kernel.panic_on_warn=1, __warn() panics: "kernel: panic_on_warn set ...", on the task's stack over
 *     the #UD exception frame of the WARN's ud2.
 *   /proc/ct-oops-lockup: ct_oops_spin() spins forever with preemption disabled; the soft-lockup watchdog's hrtimer
 *     (hard IRQ, on the spinning CPU) reports "BUG: soft lockup - CPU#n stuck for ..s! [ct-oops:PID]" and,
 *     with kernel.softlockup_panic=1, panics: "softlockup: hung tasks".
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>
#include <linux/timer.h>

/* where to write: 0 (NULL) unless insmod sets addr=; a parameter, so the compiler cannot prove the store is
 * through NULL (and drop it or turn it into a trap), nor specialise the functions (no .constprop names) */
static unsigned long ct_oops_addr;
module_param_named(addr, ct_oops_addr, ulong, 0444);
MODULE_PARM_DESC(addr, "address ct_oops_write_null writes to (default 0: a NULL pointer write)");

static struct timer_list ct_oops_timer;
/* the spin's exit condition, never set: the loop cannot be proven endless (and turned into something else) */
static int ct_oops_stop;

static noinline void ct_oops_write_null(int *p, int value)
{
	pr_emerg("ct_oops: writing %#x through %px\n", value, p);
	WRITE_ONCE(*p, value);
	barrier();
}

static noinline void ct_oops_trigger(int value)
{
	ct_oops_write_null((int *)READ_ONCE(ct_oops_addr), value);
	pr_emerg("ct_oops: still alive after the NULL write\n");
}

static noinline void ct_oops_timer_fn(struct timer_list *t)
{
	ct_oops_write_null((int *)READ_ONCE(ct_oops_addr), 0x7173);
	pr_emerg("ct_oops: still alive after the NULL write in the timer\n");
}

static noinline void ct_oops_warn(int value)
{
	WARN(1, "ct_oops: WARN on purpose (%d)\n", value);
	pr_emerg("ct_oops: still alive after the WARN\n");
}

static noinline void ct_oops_spin(void)
{
	preempt_disable();
	pr_emerg("ct_oops: spinning with preemption disabled\n");
	while (!READ_ONCE(ct_oops_stop))
		cpu_relax();
	preempt_enable();
}

static ssize_t ct_oops_proc_write(struct file *file, const char __user *buf, size_t count, loff_t *pos)
{
	ct_oops_trigger((int)count);
	return count;
}

static ssize_t ct_oops_timer_write(struct file *file, const char __user *buf, size_t count, loff_t *pos)
{
	mod_timer(&ct_oops_timer, jiffies + 1);
	return count;
}

static ssize_t ct_oops_warn_write(struct file *file, const char __user *buf, size_t count, loff_t *pos)
{
	ct_oops_warn((int)count);
	return count;
}

static ssize_t ct_oops_lockup_write(struct file *file, const char __user *buf, size_t count, loff_t *pos)
{
	ct_oops_spin();
	return count;
}

/* one file per crash, so that each write handler is one straight call (the oops's stack stays as it was) */
static const struct proc_ops ct_oops_fops = { .proc_write = ct_oops_proc_write };
static const struct proc_ops ct_oops_timer_fops = { .proc_write = ct_oops_timer_write };
static const struct proc_ops ct_oops_warn_fops = { .proc_write = ct_oops_warn_write };
static const struct proc_ops ct_oops_lockup_fops = { .proc_write = ct_oops_lockup_write };

static int __init ct_oops_init(void)
{
	timer_setup(&ct_oops_timer, ct_oops_timer_fn, 0);
	if (!proc_create("ct-oops", 0200, NULL, &ct_oops_fops) ||
	    !proc_create("ct-oops-timer", 0200, NULL, &ct_oops_timer_fops) ||
	    !proc_create("ct-oops-warn", 0200, NULL, &ct_oops_warn_fops) ||
	    !proc_create("ct-oops-lockup", 0200, NULL, &ct_oops_lockup_fops)) {
		remove_proc_entry("ct-oops", NULL);
		remove_proc_entry("ct-oops-timer", NULL);
		remove_proc_entry("ct-oops-warn", NULL);
		remove_proc_entry("ct-oops-lockup", NULL);
		return -ENOMEM;
	}
	pr_info("ct_oops: loaded; write to /proc/ct-oops to oops (ct-oops-timer, -warn, -lockup: other crashes)\n");
	return 0;
}

static void __exit ct_oops_exit(void)
{
	remove_proc_entry("ct-oops", NULL);
	remove_proc_entry("ct-oops-timer", NULL);
	remove_proc_entry("ct-oops-warn", NULL);
	remove_proc_entry("ct-oops-lockup", NULL);
	del_timer_sync(&ct_oops_timer);
}

module_init(ct_oops_init);
module_exit(ct_oops_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("crash-ts test module: an Oops, an Oops in a timer, a WARN or a soft lockup, on a write to /proc/ct-oops");
