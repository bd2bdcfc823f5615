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
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
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
  /* the smallest user stacks pthread takes (PTHREAD_STACK_MIN, 16 KiB), all carved from one mapping: the
   * threads touch only a page or two of theirs, and one mmap instead of 10,000 (with guard pages) makes them
   * faster to start under TCG */
  size_t ss = PTHREAD_STACK_MIN;
  char *stacks = mmap(0, ss * n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (stacks == MAP_FAILED) {
    perror("ct-many: mmap");
    return 1;
  }
  pthread_attr_init(&a);
  for (long i = 1; i <= n; i++) {
    pthread_attr_setstack(&a, stacks + (i - 1) * ss, ss);
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

/* one "CT task TGID PID PPID STATE COMM" line per task /proc lists, threads included, from each task's status
 * file; all lines in one buffer, written at the end (10,000 threads: the guest's busybox awk took minutes) */
static char *out;
static size_t outlen, outcap;
static void put(const char *s, size_t n) {
  if (outlen + n > outcap) {
    outcap = (outlen + n) * 2;
    out = realloc(out, outcap);
    if (!out) exit(1);
  }
  memcpy(out + outlen, s, n);
  outlen += n;
}
static void task_line(const char *path) {
  char b[4096], name[64] = "", state[8] = "?", line[160];
  int fd = open(path, O_RDONLY), tgid = -1, pid = -1, ppid = -1;
  if (fd < 0) return;
  ssize_t n = read(fd, b, sizeof b - 1);
  close(fd);
  if (n <= 0) return;
  b[n] = 0;
  for (char *l = b; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : 0) {
    if (!strncmp(l, "Name:\t", 6)) sscanf(l + 6, "%63[^\n]", name);
    else if (!strncmp(l, "State:\t", 7)) sscanf(l + 7, "%7s", state);
    else if (!strncmp(l, "Tgid:\t", 6)) tgid = atoi(l + 6);
    else if (!strncmp(l, "Pid:\t", 5)) pid = atoi(l + 5);
    else if (!strncmp(l, "PPid:\t", 6)) { ppid = atoi(l + 6); break; }
  }
  if (pid < 0) return;
  put(line, snprintf(line, sizeof line, "CT task %d %d %d %s %s\n", tgid, pid, ppid, state, name));
}
static int tasks(void) {
  name("ct-tasks");
  DIR *proc = opendir("/proc");
  struct dirent *p, *t;
  char path[600];
  while (proc && (p = readdir(proc))) {
    if (p->d_name[0] < '1' || p->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/task", p->d_name);
    DIR *task = opendir(path);
    while (task && (t = readdir(task))) {
      if (t->d_name[0] < '1' || t->d_name[0] > '9') continue;
      snprintf(path, sizeof path, "/proc/%s/task/%s/status", p->d_name, t->d_name);
      task_line(path);
    }
    if (task) closedir(task);
  }
  for (size_t o = 0; o < outlen;) {
    ssize_t w = write(1, out + o, outlen - o);
    if (w <= 0) return 1;
    o += w;
  }
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
  if (!strcmp(m, "tasks")) return tasks();
  fprintf(stderr, "usage: ct-workload sleeper|stopped|spinner|zombie|tree|threads|vfork|hog|frozen PATH|many N|tasks\n");
  return 2;
}
