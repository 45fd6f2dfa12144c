/*
 * Test-only Kafka peer: librdkafka's in-process mock cluster, which speaks the Kafka protocol on
 * loopback, kept alive until stdin reaches EOF.
 *
 *   launcher [--brokers N] [--topic name:partitions]...
 *
 * Prints one JSON line on stdout, {"bootstrap":"127.0.0.1:PORT,...","topics":[{"name":..,
 * "partitions":..}]}, then blocks reading stdin. The parent closes stdin (or dies, which closes
 * it) to stop us; we destroy the cluster and exit 0. Errors go to stderr with exit code 2 (usage)
 * or 1 (librdkafka). Built and run by test/helpers/kafka-mock/build.ts and test/helpers/kafka.ts.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_TOPICS 64
#define MAX_TOPIC_NAME 249

struct topic {
  char name[MAX_TOPIC_NAME + 1];
  int partitions;
};

static int usage(const char *why) {
  fprintf(stderr, "kafka-mock launcher: %s\nusage: launcher [--brokers N] [--topic name:partitions]...\n",
          why);
  return 2;
}

/* Kafka's legal topic characters; anything else is refused, so names need no JSON escaping. */
static int valid_topic_name(const char *s, size_t n) {
  if (n == 0 || n > MAX_TOPIC_NAME) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

static int parse_int(const char *s, int lo, int hi, int *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return 0;
  *out = (int)v;
  return 1;
}

/* The log callback keeps librdkafka's own chatter (e.g. "no bootstrap.servers configured" on the
 * owning handle) on stderr with a recognisable prefix, and only at warning level or worse. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk;
  if (level <= 4) fprintf(stderr, "kafka-mock launcher: librdkafka %s: %s\n", fac, buf);
}

int main(int argc, char **argv) {
  struct topic topics[MAX_TOPICS];
  int ntopics = 0;
  int brokers = 1;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
      if (!parse_int(argv[++i], 1, 16, &brokers)) return usage("--brokers must be 1..16");
    } else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc) {
      const char *spec = argv[++i];
      const char *colon = strrchr(spec, ':');
      size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
      if (!valid_topic_name(spec, n)) return usage("--topic name must match [a-zA-Z0-9._-]{1,249}");
      if (ntopics == MAX_TOPICS) return usage("too many --topic (max 64)");
      struct topic *t = &topics[ntopics++];
      memcpy(t->name, spec, n);
      t->name[n] = '\0';
      t->partitions = 1;
      if (colon && !parse_int(colon + 1, 1, 10000, &t->partitions))
        return usage("--topic partitions must be 1..10000 (name:partitions)");
    } else {
      return usage("unknown or incomplete argument");
    }
  }

  /* A broken stdout (parent gone before reading the line) must not kill us with SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);

  /* The mock cluster needs an rd_kafka_t for book-keeping; a producer with no bootstrap servers
   * never connects anywhere and only owns the cluster's threads. */
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, log_cb);
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "kafka-mock launcher: %s\n", errstr);
    rd_kafka_conf_destroy(conf);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "kafka-mock launcher: rd_kafka_new: %s\n", errstr);
    return 1;
  }

  rd_kafka_mock_cluster_t *mcluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mcluster) {
    fprintf(stderr, "kafka-mock launcher: rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }

  for (int i = 0; i < ntopics; i++) {
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mcluster, topics[i].name, topics[i].partitions, 1);
    if (err) {
      fprintf(stderr, "kafka-mock launcher: create topic %s: %s\n", topics[i].name, rd_kafka_err2str(err));
      rd_kafka_mock_cluster_destroy(mcluster);
      rd_kafka_destroy(rk);
      return 1;
    }
  }

  printf("{\"bootstrap\":\"%s\",\"topics\":[", rd_kafka_mock_cluster_bootstraps(mcluster));
  for (int i = 0; i < ntopics; i++)
    printf("%s{\"name\":\"%s\",\"partitions\":%d}", i ? "," : "", topics[i].name, topics[i].partitions);
  printf("]}\n");
  if (fflush(stdout) != 0) {
    fprintf(stderr, "kafka-mock launcher: cannot write to stdout: %s\n", strerror(errno));
    rd_kafka_mock_cluster_destroy(mcluster);
    rd_kafka_destroy(rk);
    return 1;
  }

  /* Block until EOF: the parent closing the pipe (stop()) or dying. Input itself is ignored. */
  char buf[256];
  for (;;) {
    ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
    if (r > 0) continue;
    if (r < 0 && errno == EINTR) continue;
    break;
  }

  rd_kafka_mock_cluster_destroy(mcluster);
  rd_kafka_destroy(rk);
  return 0;
}
