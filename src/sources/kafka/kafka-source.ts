/**
 * The Kafka implementation of the Source port.
 *
 * Every CEPtra partition receives records from every topic-partition, so reads share scans:
 * `read(p, from, window)` joins the pending scan of its window; the scan starts when every read
 * the source expects has arrived — the partitions declared by `expectReads` that have not
 * finished the window, do not skip it (declared start at or after its end) and are not reading it
 * in another scan — or `joinTimeoutMs` after the first one arrived (latecomers then get a scan of
 * their own: exact, but one more pass over the topics). Without `expectReads`, each read starts
 * its own scan at once (tests, `verify` re-reads, a single partition's retry).
 *
 * So the app should, for a Kafka job: call `expectReads` with every partition it will run and its
 * cursor, before the reads; run all of them at once (`parallelPartitions ≥` their number), in
 * this process (the scan is shared through memory). `readsAllPartitionsTogether` says so.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';
import {
  type EventBatch,
  type PartitionInfo,
  type ReadOptions,
  readBatchSize,
  type Source,
  type SourcePosition,
  type TimeWindow,
} from '../source.js';
import { KafkaClient } from './client.js';
import { createMapper, type RecordMapper } from './mapping.js';
import type { PartitionSetup } from './merger.js';
import { createKafkaSourceMetrics } from './metrics.js';
import { type KafkaSourceInput, type KafkaSourceOptions, resolveKafkaOptions } from './options.js';
import { countWindow, type KafkaPlan, prepareWindow, sampleDisorder, type WindowPrep } from './plan.js';
import { Scan, type ScanContext } from './scan.js';
import { restartOf } from './token.js';
import type { TopicPartition } from './types.js';

export interface KafkaSourceDeps {
  logger?: Logger;
  /** Where the `replay_kafka_*` series go, labelled with `job`. */
  metrics?: { registry: Registry; job: string };
}

interface Waiter {
  partition: number;
  from: SourcePosition | null;
  batchSize: number;
  resolve(scan: Scan): void;
  reject(e: unknown): void;
}

interface Pending {
  window: TimeWindow;
  waiters: Map<number, Waiter>;
  timer: NodeJS.Timeout;
}

const keyOf = (w: TimeWindow) => `${w.startNs}-${w.endNs}`;

export class KafkaSource implements Source {
  /** Reads share one scan per window: run every partition at once, in this process. */
  readonly readsAllPartitionsTogether = true;
  readonly #ctx: ScanContext;
  readonly #preps = new Map<string, Promise<WindowPrep>>();
  readonly #pending = new Map<string, Pending>();
  readonly #scans = new Set<Scan>();
  readonly #finished = new Map<string, Set<number>>();
  #expected: ReadonlyMap<number, SourcePosition | null> | null = null;
  #closed = false;

  constructor(
    readonly options: Readonly<KafkaSourceOptions>,
    readonly client: KafkaClient,
    readonly topicPartitions: readonly TopicPartition[],
    private readonly logger: Logger,
    metrics?: KafkaSourceDeps['metrics'],
  ) {
    const mappers: RecordMapper[] = topicPartitions.map((tp) =>
      createMapper(options.mapping, tp, options.ceptraPartitions),
    );
    this.#ctx = {
      client,
      options,
      logger,
      tps: topicPartitions,
      mappers,
      ...(metrics
        ? { metrics: { series: createKafkaSourceMetrics(metrics.registry), job: metrics.job } }
        : {}),
    };
  }

  /**
   * The partitions this run reads together, each with its start (cursor, or null), before any
   * read(): a window's scan then starts once all of them have called read() for it.
   */
  expectReads(starts: ReadonlyMap<number, SourcePosition | null>): void {
    this.#expected = new Map(starts);
  }

  /** Seek and end offsets of a window, computed once per source (so every scan agrees). */
  prepare(window: TimeWindow): Promise<WindowPrep> {
    const key = keyOf(window);
    let p = this.#preps.get(key);
    if (!p) {
      p = prepareWindow(this.#ctx, window);
      p.catch(() => this.#preps.delete(key));
      this.#preps.set(key, p);
    }
    return p;
  }

  async partitions(window: TimeWindow, opts: { exact?: boolean } = {}): Promise<PartitionInfo[]> {
    const prep = await this.prepare(window);
    if (opts.exact) return countWindow(this.#ctx, window, prep);
    const n = this.options.ceptraPartitions;
    const total = prep.seek.reduce((s, start, t) => s + Math.max(0, prep.ends[t]! - start), 0);
    return Array.from({ length: n }, (_, partition) => ({
      partition,
      // Routing spreads keys evenly on average; the offsets count compacted gaps, control
      // records and the records outside the window around its edges.
      rows: Math.round(total / n),
      exact: false,
      firstTsNs: null,
      lastTsNs: null,
      accessPath: `kafka: ${this.topicPartitions.length} topic-partitions from offsets of ${window.startNs - this.options.maxDisorderNs} ns (verified seek)`,
    }));
  }

  /** Per topic-partition start/end offsets and record counts for the window, with a disorder sample. */
  async planInfo(window: TimeWindow): Promise<KafkaPlan> {
    const prep = await this.prepare(window);
    const samples = await sampleDisorder(this.#ctx, prep);
    const topicPartitions = this.topicPartitions.map((tp, t) => ({
      topic: tp.topic,
      partition: tp.partition,
      startOffset: prep.seek[t]!,
      endOffset: prep.ends[t]!,
      records: Math.max(0, prep.ends[t]! - prep.seek[t]!),
      seekVerified: prep.verified[t]!,
      seekProbes: prep.probes[t]!,
      sample: samples[t]!,
    }));
    return {
      seekTimeNs: window.startNs - this.options.maxDisorderNs,
      maxDisorderNs: this.options.maxDisorderNs,
      topicPartitions,
      records: topicPartitions.reduce((s, x) => s + x.records, 0),
    };
  }

  async *read(
    partition: number,
    from: SourcePosition | null,
    window: TimeWindow,
    opts: ReadOptions,
  ): AsyncGenerator<EventBatch> {
    const batchSize = readBatchSize(opts);
    const { signal } = opts;
    if (!Number.isSafeInteger(partition) || partition < 0 || partition >= this.options.ceptraPartitions) {
      throw new RangeError(`partition ${partition} is not in 0..${this.options.ceptraPartitions - 1}`);
    }
    signal?.throwIfAborted();
    if (window.startNs >= window.endNs) return;
    const scan = await this.#join(partition, from, window, batchSize, signal);
    let complete = false;
    try {
      yield* scan.read(partition, signal);
      complete = true;
    } finally {
      if (complete) {
        const key = keyOf(window);
        const done = this.#finished.get(key) ?? new Set<number>();
        done.add(partition);
        this.#finished.set(key, done);
      }
    }
  }

  #join(
    partition: number,
    from: SourcePosition | null,
    window: TimeWindow,
    batchSize: number,
    signal: AbortSignal | undefined,
  ): Promise<Scan> {
    const key = keyOf(window);
    let pending = this.#pending.get(key);
    if (!pending) {
      const p: Pending = {
        window,
        waiters: new Map(),
        timer: setTimeout(() => this.#timeout(key), this.options.joinTimeoutMs),
      };
      p.timer.unref();
      this.#pending.set(key, p);
      pending = p;
    }
    const target = pending;
    return new Promise<Scan>((resolve, reject) => {
      target.waiters
        .get(partition)
        ?.reject(new Error(`partition ${partition} read again before its scan started`));
      const onAbort = () => {
        if (target.waiters.get(partition)?.reject === rejectOnce) target.waiters.delete(partition);
        reject(signal!.reason);
      };
      const rejectOnce = (e: unknown) => {
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      target.waiters.set(partition, {
        partition,
        from,
        batchSize,
        resolve: (s) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        },
        reject: rejectOnce,
      });
      if (this.#ready(target)) this.#start(key);
    });
  }

  /** Whether every read the window's scan expects has arrived. */
  #ready(p: Pending): boolean {
    const expected = this.#expected;
    if (expected === null) return true;
    const key = keyOf(p.window);
    const done = this.#finished.get(key);
    const busy = new Set<number>();
    for (const s of this.#scans) if (keyOf(s.window) === key) for (const r of s.readers) busy.add(r);
    for (const [partition, start] of expected) {
      if (p.waiters.has(partition) || done?.has(partition) || busy.has(partition)) continue;
      if (start !== null && start.tsNs >= p.window.endNs) continue; // the engine skips this window
      return false;
    }
    return true;
  }

  #timeout(key: string): void {
    const p = this.#pending.get(key);
    if (!p) return;
    const missing = [...(this.#expected?.keys() ?? [])].filter((x) => !p.waiters.has(x));
    this.logger.warn(
      { window: key, waiting: [...p.waiters.keys()], missing },
      `kafka: not every expected partition read the window within ${this.options.joinTimeoutMs} ms; scanning for those present (the others get a scan of their own)`,
    );
    this.#start(key);
  }

  #start(key: string): void {
    const p = this.#pending.get(key);
    if (!p) return;
    this.#pending.delete(key);
    clearTimeout(p.timer);
    const waiters = [...p.waiters.values()];
    if (waiters.length === 0) return;
    void (async () => {
      let scan: Scan | undefined;
      try {
        const prep = await this.prepare(p.window);
        if (this.#closed) throw new Error('the Kafka source is closed');
        const setups: PartitionSetup[] = [];
        const ok: Waiter[] = [];
        for (const w of waiters) {
          try {
            const start = restartOf(w.from, p.window, this.topicPartitions, prep.seek, prep.ends);
            setups.push({ partition: w.partition, start, batchSize: w.batchSize });
            ok.push(w);
          } catch (e) {
            w.reject(e); // an unreadable token fails that partition only
          }
        }
        if (ok.length === 0) return;
        const s = new Scan(this.#ctx, p.window, setups);
        scan = s;
        this.#scans.add(s);
        s.onEnd = () => this.#scans.delete(s);
        await s.start();
        for (const w of ok) w.resolve(s);
      } catch (e) {
        if (scan) await scan.close();
        for (const w of waiters) w.reject(e);
      }
    })();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      for (const w of p.waiters.values()) w.reject(new Error('the Kafka source was closed'));
    }
    this.#pending.clear();
    await Promise.allSettled([...this.#scans].map((s) => s.close()));
    await this.client.close();
  }
}

/** Connects, checks the topics and returns a ready source (ConfigError on unusable config). */
export async function createKafkaSource(
  input: KafkaSourceInput,
  deps: KafkaSourceDeps = {},
): Promise<KafkaSource> {
  const options = resolveKafkaOptions(input);
  const logger = (deps.logger ?? silentLogger()).child({ component: 'kafka-source' });
  const client = new KafkaClient(options, logger);
  try {
    await client.connect();
    const tps = await client.topicPartitions();
    logger.info({ topics: options.topics, topicPartitions: tps.length }, 'kafka source ready');
    return new KafkaSource(options, client, tps, logger, deps.metrics);
  } catch (e) {
    await client.close().catch(() => undefined);
    throw e;
  }
}
