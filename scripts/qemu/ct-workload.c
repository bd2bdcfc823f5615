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
 *   ipc      ct-ipc makes System V IPC objects and keeps them (the ipc-swap-arp scenario): shared memory
 *            0x63740001 (64 KiB, attached once), 0x63740002 (12345 bytes, never attached, owner uid/gid set to
 *            1000), an IPC_PRIVATE one (8 KiB, attached twice); a semaphore set 0x63740003 of 3 semaphores
 *            (values 1 2 3) and an IPC_PRIVATE one of 1; a message queue 0x63740004 holding 3 messages (10, 20
 *            and 30 bytes, owner uid 1000) and an empty IPC_PRIVATE one; then creates /tmp/ct-ipc.ready and pauses
 *   swapper  ct-swapper fills 1 MiB of anonymous memory and asks the kernel to page it out (MADV_PAGEOUT, 5.4+):
 *            the pages go to swap; then creates /tmp/ct-swapper.ready and pauses
 *   swapon PATH PRIO  swapon(2) with a priority (busybox swapon has no -p), then exits
 *   sockets  ct-sockets holds one socket of each kind net -s must name (the ipc-swap-arp scenario), in this fd
 *            order: a UNIX stream listener bound to /tmp/ct-unix-stream.sock, a client connected to it and the
 *            accepted end, a UNIX stream socketpair, a UNIX dgram socket bound to /tmp/ct-unix-dgram.sock, a UNIX
 *            stream listener in the abstract namespace (@ct-abstract), a TCP listener on 127.0.0.1:40001 with a
 *            client connected to it and the accepted end, a UDP socket bound to 0.0.0.0:40002, a UDP socket
 *            bound to 127.0.0.1:40003 and connected to 127.0.0.1:40002, an IPv6 TCP listener on [::1]:40004 with
 *            a connected client and the accepted end, a UDP6 socket bound to [::1]:40005, a raw ICMP socket, a
 *            NETLINK_ROUTE socket and a packet socket; one that cannot be made is skipped (stderr says why);
 *            then creates /tmp/ct-sockets.ready and pauses
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/swap.h>
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

static void ready(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) close(fd);
}

static void chown_ipc(struct ipc_perm *p) { p->uid = 1000; p->gid = 1000; }

static int ipc(void) {
  name("ct-ipc");
  int a = shmget(0x63740001, 64 * 1024, IPC_CREAT | 0640);
  int b = shmget(0x63740002, 12345, IPC_CREAT | 0600);
  int c = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
  if (a < 0 || b < 0 || c < 0) { perror("ct-ipc: shmget"); return 1; }
  char *pa = shmat(a, 0, 0), *pc1 = shmat(c, 0, 0), *pc2 = shmat(c, 0, SHM_RDONLY);
  if (pa == (void *)-1 || pc1 == (void *)-1 || pc2 == (void *)-1) { perror("ct-ipc: shmat"); return 1; }
  memset(pa, 0x61, 64 * 1024);
  memset(pc1, 0x63, 8192);
  struct shmid_ds sd;
  if (shmctl(b, IPC_STAT, &sd) == 0) { chown_ipc(&sd.shm_perm); shmctl(b, IPC_SET, &sd); }

  int s = semget(0x63740003, 3, IPC_CREAT | 0666), s1 = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  if (s < 0 || s1 < 0) { perror("ct-ipc: semget"); return 1; }
  unsigned short vals[3] = {1, 2, 3};
  semctl(s, 0, SETALL, vals);

  int q = msgget(0x63740004, IPC_CREAT | 0644), q1 = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (q < 0 || q1 < 0) { perror("ct-ipc: msgget"); return 1; }
  struct { long type; char text[32]; } m;
  for (int i = 1; i <= 3; i++) {
    m.type = i;
    memset(m.text, 'm', sizeof m.text);
    msgsnd(q, &m, 10 * i, 0);
  }
  struct msqid_ds qd;
  if (msgctl(q, IPC_STAT, &qd) == 0) { chown_ipc(&qd.msg_perm); msgctl(q, IPC_SET, &qd); }
  ready("/tmp/ct-ipc.ready");
  forever();
  return 0;
}

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
static int swapper(void) {
  name("ct-swapper");
  size_t n = 1 << 20;
  char *p = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { perror("ct-swapper: mmap"); return 1; }
  for (size_t i = 0; i < n; i++) p[i] = (char)(i * 7 + 1);
  if (madvise(p, n, MADV_PAGEOUT) != 0) perror("ct-swapper: madvise(MADV_PAGEOUT)");
  ready("/tmp/ct-swapper.ready");
  forever();
  return 0;
}

/* a UNIX address: PATH, or "@NAME" in the abstract namespace (a leading NUL byte, no file) */
static socklen_t unix_addr(struct sockaddr_un *a, const char *path) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  size_t n = strlen(path);
  memcpy(a->sun_path, path, n);
  if (path[0] == '@') a->sun_path[0] = 0;
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '@' ? 0 : 1));
}
static int unix_socket(int type, const char *path, int listening) {
  struct sockaddr_un a;
  socklen_t l = unix_addr(&a, path);
  int s = socket(AF_UNIX, type, 0);
  if (path[0] == '/') unlink(path);
  if (s < 0 || bind(s, (struct sockaddr *)&a, l) != 0 || (listening && listen(s, 4) != 0)) perror(path);
  return s;
}
static int unix_connect(const char *path) {
  struct sockaddr_un a;
  socklen_t l = unix_addr(&a, path);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  if (s < 0 || connect(s, (struct sockaddr *)&a, l) != 0) perror("ct-sockets: unix connect");
  return s;
}
/* an INET or INET6 socket bound to ADDR:PORT (listening for a stream); with PEER_PORT, connected to ADDR:PEER_PORT */
static int inet_socket(int family, int type, const char *addr, int port, int peer_port) {
  struct sockaddr_storage ss;
  socklen_t l;
  memset(&ss, 0, sizeof ss);
  if (family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    inet_pton(AF_INET6, addr, &a->sin6_addr);
    l = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    inet_pton(AF_INET, addr, &a->sin_addr);
    l = sizeof *a;
  }
  int s = socket(family, type, 0), on = 1;
  if (s < 0) { perror("ct-sockets: socket"); return s; }
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (port) {
    if (family == AF_INET6) ((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
    else ((struct sockaddr_in *)&ss)->sin_port = htons(port);
    if (bind(s, (struct sockaddr *)&ss, l) != 0) perror("ct-sockets: bind");
  }
  if (peer_port) {
    if (family == AF_INET6) ((struct sockaddr_in6 *)&ss)->sin6_port = htons(peer_port);
    else ((struct sockaddr_in *)&ss)->sin_port = htons(peer_port);
    if (connect(s, (struct sockaddr *)&ss, l) != 0) perror("ct-sockets: connect");
  } else if (type == SOCK_STREAM && listen(s, 4) != 0) perror("ct-sockets: listen");
  return s;
}
static int sockets(void) {
  name("ct-sockets");
  int ul = unix_socket(SOCK_STREAM, "/tmp/ct-unix-stream.sock", 1);
  unix_connect("/tmp/ct-unix-stream.sock");
  accept(ul, 0, 0);
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) perror("ct-sockets: socketpair");
  unix_socket(SOCK_DGRAM, "/tmp/ct-unix-dgram.sock", 0);
  unix_socket(SOCK_STREAM, "@ct-abstract", 1);
  int tl = inet_socket(AF_INET, SOCK_STREAM, "127.0.0.1", 40001, 0);
  inet_socket(AF_INET, SOCK_STREAM, "127.0.0.1", 0, 40001);
  accept(tl, 0, 0);
  inet_socket(AF_INET, SOCK_DGRAM, "0.0.0.0", 40002, 0);
  inet_socket(AF_INET, SOCK_DGRAM, "127.0.0.1", 40003, 40002);
  int t6 = inet_socket(AF_INET6, SOCK_STREAM, "::1", 40004, 0);
  if (t6 >= 0) {
    inet_socket(AF_INET6, SOCK_STREAM, "::1", 0, 40004);
    accept(t6, 0, 0);
  }
  inet_socket(AF_INET6, SOCK_DGRAM, "::1", 40005, 0);
  if (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) < 0) perror("ct-sockets: raw");
  int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  struct sockaddr_nl na = {.nl_family = AF_NETLINK};
  if (nl < 0 || bind(nl, (struct sockaddr *)&na, sizeof na) != 0) perror("ct-sockets: netlink");
  /* protocol 0: the packet socket is bound to no protocol, so it receives nothing */
  if (socket(AF_PACKET, SOCK_DGRAM, 0) < 0) perror("ct-sockets: packet");
  ready("/tmp/ct-sockets.ready");
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
  if (!strcmp(m, "ipc")) return ipc();
  if (!strcmp(m, "swapper")) return swapper();
  if (!strcmp(m, "sockets")) return sockets();
  if (!strcmp(m, "swapon") && argc > 3) {
    int prio = atoi(argv[3]);
    if (swapon(argv[2], SWAP_FLAG_PREFER | ((prio << SWAP_FLAG_PRIO_SHIFT) & SWAP_FLAG_PRIO_MASK)) == 0) return 0;
    perror("ct-workload swapon");
    return 1;
  }
  if (!strcmp(m, "tasks")) return tasks();
  fprintf(stderr, "usage: ct-workload sleeper|stopped|spinner|zombie|tree|threads|vfork|hog|frozen PATH|many N|ipc|swapper|sockets|swapon PATH PRIO|tasks\n");
  return 2;
}
