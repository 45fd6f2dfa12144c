/**
 * A real Kafka protocol peer for tests. `KAFKA_BROKERS` (comma-separated host:port) if set, else
 * librdkafka's in-process mock cluster run by a small C launcher (test/helpers/kafka-mock/),
 * built once per run by global setup. One cluster per call; `stop()` ends it. Where the launcher
 * cannot be built, or with KAFKA_TESTCONTAINERS=1, global setup starts testcontainers' Kafka
 * module when a Docker engine answers, and it is used like KAFKA_BROKERS (topics created and
 * deleted per call). That path needs Docker, so it was not exercised on the machine this was
 * written on (no engine there).
 *
 * What librdkafka 2.0.2's mock cluster does with kafkajs 2.2.4 (pinned by
 * test/helpers/kafka-mock.test.ts; the rest observed by hand against the same launcher):
 * - ApiVersions advertises only Produce 0-7, Fetch 0-11, ListOffsets 0-5, Metadata 0-2,
 *   OffsetCommit 0-7, OffsetFetch 0-5, FindCoordinator 0-2, JoinGroup 0-5, Heartbeat 0-3,
 *   LeaveGroup 0-1, SyncGroup 0-3, ApiVersions 0-2, InitProducerId 0-4 and the transaction APIs.
 *   No CreateTopics, DeleteTopics, DeleteRecords, CreatePartitions, DescribeGroups, ListGroups,
 *   DescribeConfigs, SASL.
 * - Produce (acks -1, idempotent off, no compression or gzip): works. Batches are stored as sent,
 *   so the producer's CreateTime timestamps, keys (null too) and headers come back unchanged;
 *   offsets start at 0 per partition. There is no LogAppendTime.
 * - Fetch: works, and honours maxWaitTimeInMs (an idle consumer with 500 ms made ~3 fetches in 2 s
 *   per broker), so an idle reader does not spin.
 * - ListOffsets: latest (-1) → the high watermark, earliest (-2) → 0 (log start; without
 *   DeleteRecords it never moves). Any timestamp ≥ 0 → offset -1 (timestamp -1, no error): the
 *   mock keeps no time index. kafkajs' admin.fetchTopicOffsetsByTimestamp replaces -1 by the high
 *   watermark, so against the mock it answers every partition's high watermark for ANY timestamp
 *   (before the first record, between records, after the last). Real Kafka answers the first
 *   offset whose timestamp is ≥ T (the high watermark only when T is after the last record).
 *   Seeking by time cannot be tested against the mock.
 * - Metadata: v0-2 only, which carries no AllowAutoTopicCreation flag, so naming an unknown topic
 *   in a Metadata request (admin.fetchTopicMetadata, a producer or consumer) creates it with 4
 *   partitions. "Topic does not exist" cannot be tested against the mock. With --brokers N each
 *   partition's leader is one of brokers 1..N, not necessarily spread over all of them.
 * - CreateTopics: unsupported; kafkajs' admin.createTopics fails with KafkaJSBrokerNotFound
 *   ("Broker 0 not found in the cached metadata"). Topics come from the launcher (`topics` here).
 * - Consumer groups: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit
 *   and OffsetFetch work with kafkajs' subscribe + run (eachBatch and eachMessage), admin
 *   fetchOffsets too. The first JoinGroup of a group is held for a hard-coded 3000 ms (the mock's
 *   group.initial.rebalance.delay.ms); members joining inside that window share one rebalance
 *   (two consumers of one group got [0,2] and [1,3] of 4 partitions). Per the mock's source, the
 *   first member becomes leader and ITS first assigner is used. Use a fresh groupId per consumer:
 *   re-joining a group whose members just left waited sessionTimeout - 1 s (9 s with 10 s).
 * - Without a group: impossible in kafkajs (groupId is required; there is no assign()). What works
 *   is the next best thing: a fresh groupId, a custom partitionAssigner (it runs in the client;
 *   the mock only relays its bytes) that hands the single member exactly the partitions wanted,
 *   autoCommit: false, and consumer.seek({ topic, partition, offset }) after run() — seek before
 *   run() throws "Consumer group was not initialized, consumer#run must be called first", while
 *   seeks made right after run(), before the 3 s join completes, are applied once the assignment
 *   arrives. pause()/resume() per partition work (client-side).
 */
import { type IHeaders, Kafka, type KafkaConfig, logLevel, Partitioners, type RecordMetadata } from 'kafkajs';
import { inject } from 'vitest';
import { buildKafkaMockLauncher } from './kafka-mock/build.js';
import { type KafkaCluster, type KafkaTopicSpec, startMockCluster } from './kafka-mock/cluster.js';

export type { KafkaCluster, KafkaTopicSpec };

export interface StartKafkaOptions {
  topics?: KafkaTopicSpec[];
  /** Mock brokers (1..16, default 1); ignored for KAFKA_BROKERS. */
  brokers?: number;
}

export interface ProduceRecord {
  partition: number;
  key?: Buffer | string | null;
  value: Buffer | string;
  /** Milliseconds since the epoch, as kafkajs takes it (CreateTime). */
  timestamp?: string;
  headers?: Record<string, string | Buffer>;
}

/** A kafkajs client with test defaults: quiet logs, short retries, so failures surface fast. */
export function kafkaClient(brokers: string[], config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'ceptra-replay-test',
    brokers,
    logLevel: logLevel.ERROR,
    retry: { retries: 3, initialRetryTime: 100 },
    ...config,
  });
}

export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaCluster> {
  const topics = options.topics ?? [];
  const external = (process.env.KAFKA_BROKERS || providedContainerBrokers())
    ?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (external?.length) return useExternal(external, topics);
  return startMockCluster(await kafkaMockLauncherPath(), topics, options.brokers ?? 1);
}

/** The testcontainers Kafka global setup started (only when the mock could not be built). */
function providedContainerBrokers(): string {
  try {
    return inject('kafkaContainerBrokers');
  } catch {
    return ''; // not inside a vitest worker
  }
}

/** The binary global setup built (or its build error); outside vitest, build it here. */
export async function kafkaMockLauncherPath(): Promise<string> {
  let path: string | undefined;
  let error: string | undefined;
  try {
    path = inject('kafkaMockLauncher');
    error = inject('kafkaMockLauncherError');
  } catch {
    // Not inside a vitest worker: no provided context.
  }
  if (error) throw new Error(error);
  return path || buildKafkaMockLauncher();
}

/** KAFKA_BROKERS: create the topics with kafkajs admin (real brokers support CreateTopics). */
async function useExternal(brokers: string[], topics: KafkaTopicSpec[]): Promise<KafkaCluster> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    if (topics.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1 })),
      });
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
      for (const t of topics) {
        const got = meta.find((m) => m.name === t.name)?.partitions.length;
        if (got !== t.partitions) {
          throw new Error(
            `KAFKA_BROKERS: topic ${t.name} has ${got} partitions, the test wants ${t.partitions}`,
          );
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
  return {
    brokers,
    kind: 'external',
    async stop() {
      if (topics.length === 0) return;
      const a = kafkaClient(brokers).admin();
      await a.connect();
      try {
        await a.deleteTopics({ topics: topics.map((t) => t.name) });
      } finally {
        await a.disconnect();
      }
    },
  };
}

/** Sends the records with acks -1 to explicit partitions; no topic creation, no idempotence. */
export async function produce(
  brokers: string[],
  topic: string,
  records: ProduceRecord[],
): Promise<RecordMetadata[]> {
  const producer = kafkaClient(brokers).producer({
    idempotent: false,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    return await producer.send({
      topic,
      acks: -1,
      messages: records.map((r) => ({
        partition: r.partition,
        key: r.key,
        value: r.value,
        timestamp: r.timestamp,
        headers: r.headers as IHeaders | undefined,
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

export interface PartitionWatermarks {
  partition: number;
  /** Earliest offset (ListOffsets -2). */
  low: bigint;
  /** Latest offset, one past the last record (ListOffsets -1). */
  high: bigint;
}

/** ListOffsets earliest and latest for every partition of the topic, sorted by partition. */
export async function watermarks(brokers: string[], topic: string): Promise<PartitionWatermarks[]> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets
      .map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }))
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/** Latest offset per partition (partition → high watermark), to wait for produced data. */
export async function highWatermarks(brokers: string[], topic: string): Promise<Map<number, bigint>> {
  return new Map((await watermarks(brokers, topic)).map((w) => [w.partition, w.high]));
}
