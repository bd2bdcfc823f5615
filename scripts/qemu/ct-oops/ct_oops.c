// SPDX-License-Identifier: GPL-2.0
/*
 * ct_oops: a kernel Oops on purpose, for crash-ts's real-crash scenarios (scripts/qemu/make-scenario.sh oops).
 *
 * Loading it does nothing but create /proc/ct-oops; writing to that file (guest-init.sh: /bin/ct-oops, so the
 * task has its own comm) calls ct_oops_trigger() -> ct_oops_write_null(), which stores through a NULL pointer
 * in kernel mode: "BUG: kernel NULL pointer dereference, address: 0000000000000000", then an Oops with
 * ct_oops_write_null in RIP and ct_oops_trigger / ct_oops_proc_write / proc_reg_write / vfs_write /
 * ksys_write in the Call Trace. With kernel.panic_on_oops=1, oops_end() calls crash_kexec(): kdump.
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>

/* where to write: 0 (NULL) unless insmod sets addr=; a parameter, so the compiler cannot prove the store is
 * through NULL (and drop it or turn it into a trap), nor specialise the functions (no .constprop names) */
static unsigned long ct_oops_addr;
module_param_named(addr, ct_oops_addr, ulong, 0444);
MODULE_PARM_DESC(addr, "address ct_oops_write_null writes to (default 0: a NULL pointer write)");

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

static ssize_t ct_oops_proc_write(struct file *file, const char __user *buf, size_t count, loff_t *pos)
{
	ct_oops_trigger((int)count);
	return count;
}

static const struct proc_ops ct_oops_fops = {
	.proc_write = ct_oops_proc_write,
};

static int __init ct_oops_init(void)
{
	if (!proc_create("ct-oops", 0200, NULL, &ct_oops_fops))
		return -ENOMEM;
	pr_info("ct_oops: loaded; write to /proc/ct-oops to oops\n");
	return 0;
}

static void __exit ct_oops_exit(void)
{
	remove_proc_entry("ct-oops", NULL);
}

module_init(ct_oops_init);
module_exit(ct_oops_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("crash-ts test module: a NULL pointer write in kernel mode on a write to /proc/ct-oops");
