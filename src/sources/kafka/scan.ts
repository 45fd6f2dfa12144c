/**
 * One scan: a consumer feed over every topic-partition of the source, the merger, and the readers
 * of the CEPtra partitions it serves (each `read(p)` of one window in one scan).
 *
 * Bounds and back-pressure. Every topic-partition feeds every CEPtra partition, so the scan
 * cannot read ahead for one reader and hold back for another:
 * - a partition's released events waiting for its reader are bounded by `partitionBufferEvents`:
 *   over it, the whole scan pauses (kafkajs `pause`, client-side) until that reader drains.
 *   Head-of-line blocking, accepted: a slow or throttled partition slows every partition of its
 *   scan. While paused that way, every reader may take its partial open batch;
 * - records held for reordering (all partitions) are bounded by `reorderBufferRecords`: over it,
 *   only the laggards (the topic-partitions whose time holds the merge frontier back) are read;
 * - finished topic-partitions are paused for good; once all are, the consumer leaves.
 * A reader that leaves (its engine stopped reading) is dropped from the merge, so it never blocks
 * the others; it resumes later in a scan of its own.
 */
import type { Logger } from '../../common/logger.js';
import type { TimeWindow } from '../source.js';
import type { KafkaClient } from './client.js';
import { ConsumerFeed } from './feed.js';
import type { RecordMapper } from './mapping.js';
import { type KafkaBatch, Merger, type PartitionSetup } from './merger.js';
import type { KafkaSourceMetrics } from './metrics.js';
import type { KafkaSourceOptions } from './options.js';
import { type TopicPartition, tpName } from './types.js';

export interface ScanContext {
  client: KafkaClient;
  options: Readonly<KafkaSourceOptions>;
  logger: Logger;
  tps: readonly TopicPartition[];
  mappers: readonly RecordMapper[];
  /** With the job label, when the source reports to a registry. */
  metrics?: { series: KafkaSourceMetrics; job: string };
}

export class Scan {
  readonly merger: Merger;
  readonly #ctx: ScanContext;
  readonly #readers = new Set<number>();
  #feed: ConsumerFeed | null = null;
  #error: unknown = null;
  #stalled = false;
  #closed = false;
  #wake: () => void = () => undefined;
  #changed: Promise<void>;
  /** Called once when the scan has no reader left (done, failed or abandoned). */
  onEnd: () => void = () => undefined;

  constructor(
    ctx: ScanContext,
    readonly window: TimeWindow,
    parts: readonly PartitionSetup[],
  ) {
    this.#ctx = ctx;
    this.#changed = this.#next();
    this.merger = new Merger(
      {
        window,
        maxDisorderNs: ctx.options.maxDisorderNs,
        onDisorder: ctx.options.onDisorder,
        tps: ctx.tps,
      },
      parts,
    );
    this.merger.onMismatch = (m) =>
      ctx.logger.warn(
        {
          tp: tpName(m.tp),
          partition: m.partition,
          offset: m.offset,
          expected: String(m.expected),
          actual: String(m.actual),
        },
        'kafka: a resume token recorded another max event time at its offset (records before it changed?); disorder classification may differ from the first run',
      );
    for (const s of parts) this.#readers.add(s.partition);
  }

  #next(): Promise<void> {
    return new Promise<void>((r) => {
      this.#wake = r;
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#changed = this.#next();
    wake();
  }

  /** Checks the start offsets against the log and starts the consumer (none when nothing to read). */
  async start(): Promise<void> {
    const { client, tps, mappers, options, logger, metrics } = this.#ctx;
    const starts = new Map<number, number>();
    this.merger.startOffsets.forEach((s, t) => {
      if (!s.finished) starts.set(t, s.offset);
    });
    if (starts.size === 0) return;
    // A start below the log start: records were deleted (retention) since the token was written.
    const topics = [...new Set([...starts.keys()].map((t) => tps[t]!.topic))];
    const marks = new Map(
      await Promise.all(topics.map(async (topic) => [topic, await client.watermarks(topic)] as const)),
    );
    for (const [t, offset] of starts) {
      const low = marks.get(tps[t]!.topic)?.get(tps[t]!.partition)?.low ?? 0;
      if (offset < low) {
        throw client.fail(
          new Error(
            `records of ${tpName(tps[t]!)} from offset ${offset} were deleted (the log now starts at ${low}); the replay cannot resume exactly: run again with --restart, or replay a later window`,
          ),
          `resuming ${tpName(tps[t]!)}`,
        );
      }
    }
    logger.debug(
      {
        window: [String(this.window.startNs), String(this.window.endNs)],
        readers: [...this.#readers],
        tps: starts.size,
      },
      'kafka scan starting',
    );
    metrics?.series.scans.inc({ job: metrics.job });
    this.#feed = new ConsumerFeed(client.kafka, options, tps, starts, {
      onRecords: (t, records, next) => {
        if (this.#closed) return;
        if (metrics && records.length > 0) {
          const tp = tps[t]!;
          metrics.series.records.inc(
            { job: metrics.job, topic: tp.topic, partition: String(tp.partition) },
            records.length,
          );
        }
        const map = mappers[t]!;
        if (records.length > 0) this.merger.feed(t, records.map(map));
        this.merger.skipTo(t, next);
        this.#flow();
        this.#notify();
      },
      onError: (e) => this.#fail(client.fail(e, 'reading the topics')),
    });
    this.#flow();
    try {
      await this.#feed.start();
    } catch (e) {
      this.#fail(client.fail(e, 'starting the consumer'));
    }
  }

  #fail(e: unknown): void {
    if (this.#error !== null || this.#closed) return;
    this.#error = e;
    this.#ctx.logger.warn({ err: e }, 'kafka scan failed');
    void this.#stopFeed();
    this.#notify();
  }

  async #stopFeed(): Promise<void> {
    const feed = this.#feed;
    this.#feed = null;
    await feed?.stop();
  }

  /** Pause/resume per the bounds above. */
  #flow(): void {
    const m = this.merger;
    const feed = this.#feed;
    const metrics = this.#ctx.metrics;
    metrics?.series.held.set({ job: metrics.job }, m.pending);
    if (m.done) {
      metrics?.series.paused.set({ job: metrics.job }, 0);
      void this.#stopFeed();
      return;
    }
    if (!feed) return;
    const { partitionBufferEvents, reorderBufferRecords } = this.#ctx.options;
    const paused = new Set<number>();
    const unfinished: number[] = [];
    for (let t = 0; t < this.#ctx.tps.length; t++) {
      if (m.isFinished(t)) paused.add(t);
      else unfinished.push(t);
    }
    this.#stalled = m.partitions().some((p) => m.queued(p) > partitionBufferEvents);
    if (this.#stalled) for (const t of unfinished) paused.add(t);
    else if (m.pending > reorderBufferRecords) {
      const lag = new Set(m.laggards());
      for (const t of unfinished) if (!lag.has(t)) paused.add(t);
    }
    feed.setPaused(paused);
    metrics?.series.paused.set(
      { job: metrics.job },
      paused.size - (this.#ctx.tps.length - unfinished.length),
    );
  }

  /** Partition p's batches from this scan, until its share of the window is exhausted. */
  async *read(partition: number, signal?: AbortSignal): AsyncGenerator<KafkaBatch> {
    const m = this.merger;
    let aborted: () => void = () => undefined;
    const onAbort = new Promise<void>((r) => {
      aborted = r;
    });
    signal?.addEventListener('abort', aborted, { once: true });
    try {
      for (;;) {
        signal?.throwIfAborted();
        if (this.#error !== null) throw this.#error;
        const b = m.take(partition);
        if (b !== undefined) {
          this.#flow();
          yield b;
          continue;
        }
        if (m.drained(partition)) return;
        if (this.#stalled || this.#error !== null) {
          m.flush(partition);
          if (m.queued(partition) > 0) continue;
        }
        await Promise.race([this.#changed, onAbort]);
      }
    } finally {
      signal?.removeEventListener('abort', aborted);
      this.leave(partition);
    }
  }

  /** Partition p reads no more from this scan. The last reader out ends the scan. */
  leave(partition: number): void {
    if (!this.#readers.delete(partition)) return;
    this.merger.deactivate(partition);
    if (this.#readers.size === 0) void this.close();
    else {
      this.#flow();
      this.#notify();
    }
  }

  get readers(): ReadonlySet<number> {
    return this.#readers;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (let t = 0; t < this.#ctx.tps.length; t++) {
      const at = this.merger.stoppedEarlyAt(t);
      if (at !== null) {
        this.#ctx.logger.info(
          { tp: tpName(this.#ctx.tps[t]!), offset: at, end: this.merger.startOffsets[t]!.end },
          'kafka: topic-partition read stopped early: its max event time reached window end + maxDisorder (later in-bound records are all past the window)',
        );
      }
    }
    await this.#stopFeed();
    this.#notify();
    this.onEnd();
  }
}
