/** Helpers of the Kafka source's integration tests (mock cluster, see test/helpers/kafka.ts). */
import { randomBytes } from 'node:crypto';
import { partitionForKey } from '../../../src/common/fnv.js';
import type { Logger } from '../../../src/common/logger.js';
import {
  createKafkaSource,
  type KafkaSource,
  type KafkaSourceInput,
} from '../../../src/sources/kafka/index.js';
import type { EventBatch, SourcePosition, TimeWindow } from '../../../src/sources/source.js';
import { type KafkaCluster, type ProduceRecord, produce } from '../../helpers/kafka.js';

export const unique = (base: string) => `${base}-${randomBytes(4).toString('hex')}`;

export const MS = 1_000_000n;
/** 2025-08-01T00:00:00Z in ms. */
export const T0 = 1_754_006_400_000;
export const ns = (ms: number) => BigInt(ms) * MS;

/** A key whose CEPtra partition (FNV-1a-64 mod n) is `p`: `k<p>-<i>` for the first i that routes there. */
export function keyFor(p: number, n: number, salt = 0): string {
  for (let i = salt; ; i++) {
    const k = `k${p}-${i}`;
    if (partitionForKey(k, n) === p) return k;
  }
}

export interface Rec {
  partition: number;
  /** Record timestamp in ms. */
  at: number;
  key: string | null;
  value?: string | null;
  headers?: Record<string, string>;
}

/** Produces records (in the given order per partition); values default to `<topic>:<partition>:<index>`. */
export async function put(cluster: KafkaCluster, topic: string, recs: Rec[]): Promise<void> {
  const records: ProduceRecord[] = recs.map((r, i) => ({
    partition: r.partition,
    key: r.key,
    value: (r.value === undefined ? `${topic}:${r.partition}:${i}` : r.value) as string,
    timestamp: String(r.at),
    ...(r.headers ? { headers: r.headers } : {}),
  }));
  await produce(cluster.brokers, topic, records);
}

export function source(
  cluster: KafkaCluster,
  topics: string[],
  n: number,
  extra: Partial<KafkaSourceInput> & { logger?: Logger } = {},
): Promise<KafkaSource> {
  const { logger, ...input } = extra;
  return createKafkaSource(
    {
      brokers: cluster.brokers,
      topics,
      ceptraPartitions: n,
      mapping: { schemaKey: { from: 'constant', value: 'proto:1.0:test' } },
      maxWaitTimeMs: 50,
      joinTimeoutMs: 20_000,
      connectionTimeoutMs: 2_000,
      requestTimeoutMs: 10_000,
      ...input,
    } as KafkaSourceInput,
    logger ? { logger } : {},
  );
}

/** Reads every partition together (as the app runs a Kafka job): expectReads, then N reads at once. */
export async function readAll(
  s: KafkaSource,
  window: TimeWindow,
  opts: { batchSize?: number; from?: Map<number, SourcePosition | null>; partitions?: number[] } = {},
): Promise<EventBatch[][]> {
  const parts = opts.partitions ?? Array.from({ length: s.options.ceptraPartitions }, (_, p) => p);
  const from = opts.from ?? new Map(parts.map((p) => [p, null]));
  s.expectReads(new Map(parts.map((p) => [p, from.get(p) ?? null])));
  const out = await Promise.all(
    parts.map(async (p) => {
      const batches: EventBatch[] = [];
      for await (const b of s.read(p, from.get(p) ?? null, window, { batchSize: opts.batchSize ?? 1000 })) {
        batches.push(b);
      }
      return batches;
    }),
  );
  const byPartition: EventBatch[][] = Array.from({ length: s.options.ceptraPartitions }, () => []);
  parts.forEach((p, i) => {
    byPartition[p] = out[i]!;
  });
  return byPartition;
}

export const ids = (batches: readonly EventBatch[]) => batches.flatMap((b) => b.events.map((e) => e.eventId));
export const values = (batches: readonly EventBatch[]) =>
  batches.flatMap((b) => b.events.map((e) => e.payload.toString()));
export const poison = (batches: readonly EventBatch[]) => batches.flatMap((b) => b.poison ?? []);
