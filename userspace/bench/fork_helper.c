// ptilab-fork-helper: the small parent of process_bench.cc's *_SmallParent
// benchmarks. ptilab's own fork copies ptilab's mm (69 mappings and 2,300
// resident pages in the x86_64 guest); lmbench's and UnixBench's fork from
// a small C program. This is one: plain C, libc only, no heap of its own
// (20 mappings, 60 resident pages there), so that a fork copies about as
// little as theirs does.
//
//   ptilab-fork-helper [PROGRAM]
//
// On start-up it writes "maps N rss_pages M\n" (its own /proc/self/maps
// lines and resident pages, /proc/self/statm). Then for every byte it reads
// from stdin it forks once; the child _exit(0)s, or with PROGRAM execve()s
// it (argv[0] = PROGRAM, empty environment); it waits for the child and
// writes "ns T\n", T the CLOCK_MONOTONIC time from before fork() to after
// waitpid() returned, or "error WHAT\n" (and stops). It exits 0 at end of
// input. ptilab talks to it over a socket pair on its stdin and stdout; by
// hand (two forks): printf xx | ptilab-fork-helper /bin/true
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// One whole line to stdout; 0 on success.
static int say(const char* format, ...) {
  char line[256];
  va_list ap;
  va_start(ap, format);
  const int n = vsnprintf(line, sizeof line, format, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof line) return -1;
  for (int at = 0; at < n;) {
    const ssize_t w = write(STDOUT_FILENO, line + at, (size_t)(n - at));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    at += (int)w;
  }
  return 0;
}

// The lines of /proc/self/maps (one per mapping), or -1.
static long count_maps(void) {
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  long lines = 0;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) lines = -1;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) lines += buf[i] == '\n';
  }
  close(fd);
  return lines;
}

// The resident pages, /proc/self/statm's second field (VmRSS in pages), or -1.
static long resident_pages(void) {
  const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[128];
  ssize_t n;
  do n = read(fd, buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char* end;
  strtol(buf, &end, 10);  // size
  const long rss = strtol(end, &end, 10);
  return end == buf ? -1 : rss;
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc > 2) {
    fprintf(stderr, "usage: %s [PROGRAM]\n", argv[0]);
    return 2;
  }
  char* const program = argc == 2 ? argv[1] : NULL;
  char* const child_argv[] = {program, NULL};
  char* const child_envp[] = {NULL};
  if (say("maps %ld rss_pages %ld\n", count_maps(), resident_pages()) != 0) return 1;
  for (;;) {
    char request;
    const ssize_t r = read(STDIN_FILENO, &request, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return 0;
    if (r < 0) {
      say("error read: %s\n", strerror(errno));
      return 1;
    }
    const long long start = now_ns();
    const pid_t pid = fork();
    if (pid < 0) {
      say("error fork: %s\n", strerror(errno));
      return 1;
    }
    if (pid == 0) {
      if (program) execve(program, child_argv, child_envp);
      _exit(program ? 127 : 0);
    }
    int status;
    pid_t w;
    do w = waitpid(pid, &status, 0);
    while (w < 0 && errno == EINTR);
    const long long end = now_ns();
    if (w != pid) {
      say("error waitpid: %s\n", strerror(errno));
      return 1;
    }
    if (WIFSIGNALED(status)) {
      say("error child killed by signal %d\n", WTERMSIG(status));
      return 1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      say("error child exited with status %d\n", WEXITSTATUS(status));
      return 1;
    }
    if (say("ns %lld\n", end - start) != 0) return 1;
  }
}
