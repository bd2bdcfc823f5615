/*
 * ct-workload: the guest's named processes, one mode per invocation, so a dump holds tasks in
 * known states (the host records what /proc showed just before the crash in sample.json).
 * Each process names itself with prctl(PR_SET_NAME) (task->comm, at most 15 characters).
 * Built static by scripts/qemu/build-initramfs.sh; runs under busybox in the guest initramfs.
 *   sleeper  S (pause)               stopped  S, then the init script sends SIGSTOP -> T
 *   spinner  R (busy loop)           zombie   ct-zparent (S) with an unreaped child ct-zombie (Z)
 *   tree     ct-parent -> ct-child-1, ct-child-2 -> ct-grandchild (all S)
 *   threads  ct-threaded with three extra threads ct-worker-1..3 (all S)
 *   vfork    ct-vfork-par blocked in vfork (D) until its child ct-vfork-child (S) exits: it never does
 * Scenario triggers (scripts/qemu/make-scenario.sh):
 *   hog      ct-hog touches ever more anonymous memory (with vm.panic_on_oom=1 the OOM killer panics)
 *   frozen P ct-frozen creates file P on a frozen filesystem: blocks uninterruptibly (D) in sb_start_write
 *   many N   ct-many starts N threads ct-many-1..N (each names itself, then pause()); once all are named it
 *            creates /tmp/ct-many.ready and pauses too (the 10k-threads scenario: a process of 10,000 threads)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void name(const char *n) { prctl(PR_SET_NAME, n, 0, 0, 0); }
static void forever(void) { for (;;) pause(); }

static void *worker(void *arg) {
  char n[16];
  snprintf(n, sizeof n, "ct-worker-%d", (int)(long)arg);
  name(n);
  forever();
  return 0;
}

static volatile int named; /* threads that have named themselves */

static void *many_thread(void *arg) {
  char n[16];
  snprintf(n, sizeof n, "ct-many-%d", (int)(long)arg);
  name(n);
  __sync_fetch_and_add(&named, 1);
  forever();
  return 0;
}

static int many(int n) {
  pthread_attr_t a;
  pthread_t t;
  int made = 0;
  name("ct-many");
  /* small user stacks: 10,000 threads of the default 8 MiB would not fit the guest's address space budget */
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 64 * 1024);
  for (long i = 1; i <= n; i++) {
    if (pthread_create(&t, &a, many_thread, (void *)i) != 0) {
      fprintf(stderr, "ct-many: pthread_create failed after %d threads\n", made);
      break;
    }
    made++;
  }
  while (named < made) usleep(10000);
  int fd = open("/tmp/ct-many.ready", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    char b[32];
    int l = snprintf(b, sizeof b, "%d\n", made);
    write(fd, b, l);
    close(fd);
  }
  forever();
  return 0;
}

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  if (!strcmp(m, "sleeper")) { name("ct-sleeper"); forever(); }
  if (!strcmp(m, "stopped")) { name("ct-stopped"); forever(); }
  if (!strcmp(m, "spinner")) { name("ct-spinner"); for (volatile unsigned long i = 0;; i++) {} }
  if (!strcmp(m, "zombie")) {
    name("ct-zparent");
    if (fork() == 0) { name("ct-zombie"); _exit(7); }
    forever(); /* never waits: the child stays a zombie */
  }
  if (!strcmp(m, "tree")) {
    name("ct-parent");
    if (fork() == 0) { name("ct-child-1"); forever(); }
    if (fork() == 0) {
      name("ct-child-2");
      if (fork() == 0) { name("ct-grandchild"); forever(); }
      while (wait(0) > 0) {}
      forever();
    }
    while (wait(0) > 0) {}
    forever();
  }
  if (!strcmp(m, "threads")) {
    name("ct-threaded");
    pthread_t t;
    for (long i = 1; i <= 3; i++) pthread_create(&t, 0, worker, (void *)i);
    forever();
  }
  if (!strcmp(m, "vfork")) {
    name("ct-vfork-par");
    /* the child shares our memory until it execs or exits; it only pauses (a plain syscall) */
    if (vfork() == 0) { name("ct-vfork-child"); for (;;) pause(); }
    forever();
  }
  if (!strcmp(m, "hog")) {
    name("ct-hog");
    for (;;) {
      char *p = malloc(1 << 20);
      if (p) memset(p, 0x5a, 1 << 20);
    }
  }
  if (!strcmp(m, "frozen") && argc > 2) {
    name("ct-frozen");
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) write(fd, "x", 1);
    forever();
  }
  if (!strcmp(m, "many") && argc > 2) return many(atoi(argv[2]));
  fprintf(stderr, "usage: ct-workload sleeper|stopped|spinner|zombie|tree|threads|vfork|hog|frozen PATH|many N\n");
  return 2;
}
