/**
 * The kafkajs side: the client built from the options (TLS files read here, SASL, timeouts, logs
 * into our logger), topic metadata and watermarks, and direct reads of a record range.
 *
 * Direct reads. kafkajs has no public way to read a few records at an offset: a consumer needs a
 * group (a join costs seconds: 3 s in librdkafka's mock, group.initial.rebalance.delay.ms on a
 * real cluster) and has no assign(). The time seek's binary search reads ~log2(n) single records
 * per topic-partition, and the plan's sample ~1000, so those go through the client's own cluster
 * object (kafkajs 2.2.4, pinned): `Fetch` to the partition leader, decoded and filtered exactly
 * like the consumer does (its `Batch`: records below the asked offset, aborted transactions and
 * control records dropped). test/sources/kafka/client.test.ts pins this against the mock.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  type Admin,
  type Broker,
  type Cluster,
  Kafka,
  type KafkaConfig,
  type KafkaMessage,
  logLevel,
  type SASLOptions,
} from 'kafkajs';
import { ConfigError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { classifyKafkaError, type KafkaErrorContext, missingTopics } from './errors.js';
import type { KafkaSourceOptions } from './options.js';
import type { TopicPartition } from './types.js';

const require = createRequire(import.meta.url);
/** kafkajs' consumer-side record filter (offset below the fetch offset, aborted, control). */
const Batch = require('kafkajs/src/consumer/batch') as new (
  topic: string,
  fetchedOffset: string,
  partitionData: unknown,
) => { messages: KafkaMessage[]; lastOffset(): string; highWatermark: string };

const READ_COMMITTED = 1;

function tlsOf(ssl: KafkaSourceOptions['ssl']): KafkaConfig['ssl'] {
  if (typeof ssl === 'boolean') return ssl;
  const read = (field: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError(
        `source.ssl.${field}`,
        `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a readable PEM file`,
      );
    }
  };
  const ca = read('ca', ssl.ca);
  const cert = read('cert', ssl.cert);
  const key = read('key', ssl.key);
  return {
    rejectUnauthorized: ssl.rejectUnauthorized ?? true,
    ...(ca === undefined ? {} : { ca: [ca] }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
}

function logCreatorFor(logger: Logger): KafkaConfig['logCreator'] {
  return () =>
    ({ level, label, log }) => {
      const { message, ...extra } = log;
      const fields = { kafkajs: label, ...extra };
      if (level === logLevel.ERROR) logger.warn(fields, `kafkajs: ${message}`);
      else if (level === logLevel.WARN) logger.info(fields, `kafkajs: ${message}`);
      else logger.debug(fields, `kafkajs: ${message}`);
    };
}

export function kafkaConfig(o: Readonly<KafkaSourceOptions>, logger: Logger): KafkaConfig {
  return {
    clientId: o.clientId,
    brokers: [...o.brokers],
    ssl: tlsOf(o.ssl),
    ...(o.sasl ? { sasl: { ...o.sasl } as SASLOptions } : {}),
    connectionTimeout: o.connectionTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
    logLevel: logLevel.WARN,
    logCreator: logCreatorFor(logger),
  };
}

export interface Watermarks {
  low: number;
  high: number;
}

/** A record read directly, as kafkajs decodes it. */
export type RawRecord = KafkaMessage;

type ClusterFactory = (o: { metadataMaxAge?: number; allowAutoTopicCreation?: boolean }) => Cluster;

/** Admin metadata, watermarks, offsets by time, and direct record reads; one per source. */
export class KafkaClient {
  readonly kafka: Kafka;
  readonly #admin: Admin;
  readonly #cluster: Cluster;
  readonly errorContext: KafkaErrorContext;
  #connected: Promise<void> | null = null;
  readonly #firstFetches = new Map<string, Promise<unknown>>();

  constructor(
    readonly options: Readonly<KafkaSourceOptions>,
    readonly logger: Logger,
  ) {
    this.kafka = new Kafka(kafkaConfig(options, logger));
    this.#admin = this.kafka.admin();
    const sym = Object.getOwnPropertySymbols(this.kafka).find(
      (s) => s.description === 'private:Kafka:createCluster',
    );
    if (sym === undefined)
      throw new Error('kafkajs internals changed: no createCluster (kafkajs 2.2.4 expected)');
    const create = (this.kafka as unknown as Record<symbol, ClusterFactory>)[sym]!;
    this.#cluster = create({ metadataMaxAge: 300_000, allowAutoTopicCreation: false });
    this.errorContext = {
      brokers: options.brokers,
      tls: options.ssl !== false,
      sasl: options.sasl !== undefined,
    };
  }

  fail(e: unknown, doing: string): Error {
    return classifyKafkaError(e, { ...this.errorContext, doing });
  }

  /** Connects and checks that every topic exists (listing topics never auto-creates one). */
  connect(): Promise<void> {
    this.#connected ??= (async () => {
      try {
        await this.#admin.connect();
        const known = new Set(await this.#admin.listTopics());
        const missing = missingTopics(this.options.topics, known);
        if (missing) throw missing;
        await this.#cluster.connect();
        await this.#cluster.addMultipleTargetTopics([...this.options.topics]);
      } catch (e) {
        this.#connected = null;
        throw this.fail(e, 'connecting');
      }
    })();
    return this.#connected;
  }

  /** Every partition of the configured topics, topics in config order, partitions ascending. */
  async topicPartitions(): Promise<TopicPartition[]> {
    await this.connect();
    try {
      const { topics } = await this.#admin.fetchTopicMetadata({ topics: [...this.options.topics] });
      return this.options.topics.flatMap((name) => {
        const t = topics.find((x) => x.name === name)!;
        return t.partitions
          .map((p) => p.partitionId)
          .sort((a, b) => a - b)
          .map((partition) => ({ topic: name, partition }));
      });
    } catch (e) {
      throw this.fail(e, 'reading topic metadata');
    }
  }

  async watermarks(topic: string): Promise<Map<number, Watermarks>> {
    await this.connect();
    try {
      const offs = await this.#admin.fetchTopicOffsets(topic);
      return new Map(offs.map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }]));
    } catch (e) {
      throw this.fail(e, `reading the offsets of ${topic}`);
    }
  }

  /** The broker's answer to "first offset with timestamp ≥ ms" (kafkajs: high watermark if none). */
  async offsetsByTime(topic: string, ms: number): Promise<Map<number, number>> {
    await this.connect();
    try {
      const offs = await this.#admin.fetchTopicOffsetsByTimestamp(topic, ms);
      return new Map(offs.map((o) => [o.partition, Number(o.offset)]));
    } catch (e) {
      throw this.fail(e, `looking up offsets by time in ${topic}`);
    }
  }

  /**
   * Records of a tp from `offset` (the first at or after it), one Fetch to its leader: at least one
   * record when any exists below the high watermark, about `maxBytes` worth. With `wholeBatches`,
   * also the records before `offset` in the first record batch returned (a broker sends whole
   * batches), for a caller that keeps them.
   */
  async read(
    tp: TopicPartition,
    offset: number,
    maxBytes = 65_536,
    wholeBatches = false,
  ): Promise<RawRecord[]> {
    await this.connect();
    try {
      const leaders = this.#cluster.findLeaderForPartitions(tp.topic, [tp.partition]);
      const nodeId = Object.keys(leaders)[0];
      if (nodeId === undefined) {
        await this.#cluster.refreshMetadata();
        throw new Error(`no leader known for ${tp.topic}/${tp.partition}`);
      }
      const broker: Broker = await this.#cluster.findBroker({ nodeId });
      const res = (await this.#fetch(nodeId, broker, {
        isolationLevel: READ_COMMITTED,
        maxWaitTime: 0,
        minBytes: 1,
        maxBytes,
        topics: [
          {
            topic: tp.topic,
            partitions: [{ partition: tp.partition, fetchOffset: String(offset), maxBytes }],
          },
        ],
      })) as { responses: { topicName: string; partitions: { partition: number }[] }[] };
      const data = res.responses
        .find((r) => r.topicName === tp.topic)
        ?.partitions.find((p) => p.partition === tp.partition);
      if (data === undefined) return [];
      return new Batch(tp.topic, wholeBatches ? '0' : String(offset), data).messages;
    } catch (e) {
      throw this.fail(e, `reading ${tp.topic}/${tp.partition} at offset ${offset}`);
    }
  }

  /**
   * kafkajs opens a broker's fetch connection on its first fetch without a guard: two first
   * fetches at once (the seek's probes run side by side) open two sockets and orphan one, which
   * then keeps the process alive after close(). Fetches to a broker are serialized until its
   * fetch connection is up.
   */
  #fetch(nodeId: string, broker: Broker, request: Parameters<Broker['fetch']>[0]): Promise<unknown> {
    const pool = (broker as unknown as { connectionPool?: { pool?: { isConnected(): boolean }[] } })
      .connectionPool?.pool;
    if (pool?.[1]?.isConnected()) return broker.fetch(request);
    const before = this.#firstFetches.get(nodeId) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(() => broker.fetch(request));
    this.#firstFetches.set(nodeId, mine);
    return mine;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#admin.disconnect(), this.#cluster.disconnect()]);
  }
}
