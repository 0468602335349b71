/* The machine's floor for bulk receive: one blocking read() loop into one reused buffer.
 * read_loop PORT BYTES: connects to 127.0.0.1:PORT, sends "SOURCE BYTES\n", reads to the end,
 * prints {"seconds":…,"work":…,"cpuSeconds":…} as the benchmark's other variants report. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) return 1;
  char command[64];
  int length = snprintf(command, sizeof command, "SOURCE %s\n", argv[2]);
  static char buffer[65536];
  double started = now(), used = cpu();
  if (write(fd, command, length) != length) return 1;
  long long total = 0;
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    total += n;
  }
  printf("{\"seconds\":%.6f,\"work\":%lld,\"cpuSeconds\":%.6f}\n", now() - started, total, cpu() - used);
  close(fd);
  return 0;
}
