/**
 * The record feed of a scan: one kafkajs consumer reading exactly the scan's topic-partitions
 * from exactly its offsets. kafkajs has no assign(): the consumer joins a fresh group (never
 * committed to, so no group offset is ever a source of truth) whose only member gets every
 * wanted partition from a custom assigner, then seeks each one right after run() (seeks made
 * before the join completes are applied when the assignment arrives). The first join of a group
 * waits group.initial.rebalance.delay.ms (3 s by default, and in librdkafka's mock).
 *
 * A crash of the consumer is not restarted by kafkajs (it would resume from the group's
 * offsets, i.e. none): the scan fails and its readers resume from their cursors.
 */
import { randomBytes } from 'node:crypto';
import {
  AssignerProtocol,
  type Consumer,
  type Kafka,
  type KafkaMessage,
  type PartitionAssigner,
} from 'kafkajs';
import type { KafkaSourceOptions } from './options.js';
import type { TopicPartition } from './types.js';

export interface FeedHandlers {
  /** Records of tp index `t` in offset order; `next` is the offset after the batch (control records included). */
  onRecords(t: number, records: KafkaMessage[], next: number): void;
  /** The consumer failed for good. */
  onError(e: unknown): void;
}

const ASSIGNER = 'CeptraReplayFixed';

/** Hands the group's first member exactly `wanted` (the group has one member: its groupId is fresh). */
export function fixedAssigner(wanted: Record<string, number[]>): PartitionAssigner {
  return () => ({
    name: ASSIGNER,
    version: 0,
    async assign({ members }) {
      return members.map((m, i) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: i === 0 ? wanted : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}

export class ConsumerFeed {
  readonly #consumer: Consumer;
  readonly #index = new Map<string, number>();
  readonly #paused = new Set<number>();
  #stopped = false;

  constructor(
    kafka: Kafka,
    options: Readonly<KafkaSourceOptions>,
    private readonly tps: readonly TopicPartition[],
    /** tp index → offset to start at; tps not listed are not read. */
    private readonly starts: ReadonlyMap<number, number>,
    private readonly handlers: FeedHandlers,
  ) {
    tps.forEach((tp, t) => {
      this.#index.set(`${tp.topic}\u0000${tp.partition}`, t);
    });
    const wanted: Record<string, number[]> = {};
    for (const t of starts.keys()) {
      const tp = tps[t]!;
      wanted[tp.topic] = [...(wanted[tp.topic] ?? []), tp.partition];
    }
    this.#consumer = kafka.consumer({
      groupId: `${options.clientId}-replay-${randomBytes(6).toString('hex')}`,
      partitionAssigners: [fixedAssigner(wanted)],
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: options.maxWaitTimeMs,
      maxBytesPerPartition: options.maxBytesPerPartition,
      readUncommitted: false,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000, restartOnFailure: async () => false },
    });
  }

  #tp(topic: string, partition: number): number | undefined {
    return this.#index.get(`${topic}\u0000${partition}`);
  }

  async start(): Promise<void> {
    const c = this.#consumer;
    c.on(c.events.CRASH, ({ payload }) => {
      if (!this.#stopped) this.handlers.onError(payload.error);
    });
    // Batches whose records were all filtered (control records, aborted transactions) never reach
    // eachBatch; their end offset still moves the tp on.
    c.on(c.events.END_BATCH_PROCESS, ({ payload }) => {
      const t = this.#tp(payload.topic, payload.partition);
      if (t !== undefined && payload.batchSize === 0)
        this.handlers.onRecords(t, [], Number(payload.lastOffset) + 1);
    });
    await c.connect();
    const topics = [...new Set([...this.starts.keys()].map((t) => this.tps[t]!.topic))];
    await c.subscribe({ topics, fromBeginning: false });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const t = this.#tp(batch.topic, batch.partition);
        if (t === undefined || this.#stopped) return;
        this.handlers.onRecords(t, batch.messages, Number(batch.lastOffset()) + 1);
      },
    });
    for (const [t, offset] of this.starts) {
      const tp = this.tps[t]!;
      c.seek({ topic: tp.topic, partition: tp.partition, offset: String(offset) });
    }
  }

  /** Pauses exactly `paused` (tp indexes) and resumes the others; client-side, idempotent. */
  setPaused(paused: ReadonlySet<number>): void {
    if (this.#stopped) return;
    const pause: number[] = [];
    const resume: number[] = [];
    for (const t of this.starts.keys()) {
      if (paused.has(t) && !this.#paused.has(t)) pause.push(t);
      if (!paused.has(t) && this.#paused.has(t)) resume.push(t);
    }
    const group = (list: number[]) => {
      const by = new Map<string, number[]>();
      for (const t of list) {
        const tp = this.tps[t]!;
        by.set(tp.topic, [...(by.get(tp.topic) ?? []), tp.partition]);
      }
      return [...by].map(([topic, partitions]) => ({ topic, partitions }));
    };
    if (pause.length > 0) {
      this.#consumer.pause(group(pause));
      for (const t of pause) this.#paused.add(t);
    }
    if (resume.length > 0) {
      this.#consumer.resume(group(resume));
      for (const t of resume) this.#paused.delete(t);
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#consumer.disconnect().catch(() => undefined);
  }
}
