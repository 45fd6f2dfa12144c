/**
 * Window preparation and the plan's figures, from direct reads (client.ts):
 * - `prepareWindow`: per topic-partition the verified seek offset for T = start − maxDisorder and
 *   the end (the high watermark now; fixed for the window from then on);
 * - `countWindow`: the exact per-partition counts (one pass over every topic-partition's range,
 *   classified like the merger does: window, disorder, early stop);
 * - `sampleDisorder`: the first records after each start, for the plan's disorder figures.
 */
import type { PartitionInfo, TimeWindow } from '../source.js';
import type { KafkaClient, RawRecord } from './client.js';
import type { RecordMapper } from './mapping.js';
import type { KafkaSourceOptions } from './options.js';
import { type TimedRecord, verifiedSeek } from './seek.js';
import type { TopicPartition } from './types.js';

export interface WindowPrep {
  seek: number[];
  ends: number[];
  lows: number[];
  verified: boolean[];
  probes: number[];
}

export interface TpPlan {
  topic: string;
  partition: number;
  startOffset: number;
  endOffset: number;
  /** end − start: records to read (an upper bound: compacted gaps and control records count). */
  records: number;
  /** The broker's offsets-by-time answer passed the check (else a binary search found it). */
  seekVerified: boolean;
  seekProbes: number;
  sample: DisorderSample;
}

export interface DisorderSample {
  /** Records read from the start offset. */
  records: number;
  /** Largest step back in event time between a record and the newest before it (0: in order). */
  maxBackwardNs: bigint;
  /** Sampled records more than maxDisorder behind the newest before them (OUT_OF_ORDER_SOURCE). */
  outOfOrder: number;
  /** Records that could not be mapped. */
  poison: number;
  firstTsNs: bigint | null;
  lastTsNs: bigint | null;
}

export interface KafkaPlan {
  /** T = window.start − maxDisorder: where reading starts. */
  seekTimeNs: bigint;
  maxDisorderNs: bigint;
  topicPartitions: TpPlan[];
  /** Sum of `records`. */
  records: number;
}

interface Ctx {
  client: KafkaClient;
  options: Readonly<KafkaSourceOptions>;
  tps: readonly TopicPartition[];
  mappers: readonly RecordMapper[];
}

/** Runs `f` over `items` with at most `limit` at once. */
async function pool<T, R>(
  items: readonly T[],
  limit: number,
  f: (x: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await f(items[i]!, i);
    }),
  );
  return out;
}

/**
 * A seek probe wants one record: fetches ask for this little (a broker still returns the whole
 * first record batch at the offset, however large; it just adds no more batches after it).
 */
const PROBE_BYTES = 8_192;

/**
 * The records of a tp's last fetch. A broker answers a fetch with whole record batches, so a
 * seek's probes — which converge inside one batch after a few steps — are mostly answered from
 * the batch already fetched and decoded (the records at or after the offset, in log order, as a
 * fetch there would start) instead of fetching and decoding it again.
 */
interface FetchCache {
  recs: RawRecord[];
}

async function fetchAt(
  ctx: Ctx,
  t: number,
  at: number,
  bytes: number,
  cache?: FetchCache,
): Promise<RawRecord[]> {
  const covers = (c: RawRecord[]) =>
    c.length > 0 && at >= Number(c[0]!.offset) && at <= Number(c.at(-1)!.offset);
  if (cache === undefined) return ctx.client.read(ctx.tps[t]!, at, bytes);
  if (!covers(cache.recs)) cache.recs = await ctx.client.read(ctx.tps[t]!, at, bytes, true);
  const c = cache.recs;
  let lo = 0;
  let hi = c.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (Number(c[mid]!.offset) < at) lo = mid + 1;
    else hi = mid;
  }
  return c.slice(lo);
}

/** Reads [from, end) of a tp in chunks, calling `each` per record until it returns false. */
async function scanRange(
  ctx: Ctx,
  t: number,
  from: number,
  end: number,
  each: (m: RawRecord) => boolean,
  chunkBytes = ctx.options.maxBytesPerPartition,
  cache?: FetchCache,
): Promise<void> {
  let at = from;
  while (at < end) {
    const recs = await fetchAt(ctx, t, at, chunkBytes, cache);
    if (recs.length === 0) return;
    for (const m of recs) {
      const o = Number(m.offset);
      if (o >= end) return;
      if (!each(m)) return;
      at = o + 1;
    }
  }
}

export async function prepareWindow(ctx: Ctx, window: TimeWindow): Promise<WindowPrep> {
  const { client, tps, options } = ctx;
  const t = window.startNs - options.maxDisorderNs;
  const ms = t <= 0n ? 0 : Number((t + 999_999n) / 1_000_000n);
  const topics = [...new Set(tps.map((tp) => tp.topic))];
  const marks = new Map(await Promise.all(topics.map(async (x) => [x, await client.watermarks(x)] as const)));
  const byTime = new Map(
    await Promise.all(topics.map(async (x) => [x, await client.offsetsByTime(x, ms)] as const)),
  );
  const results = await pool(tps, 8, async (tp, i) => {
    const w = marks.get(tp.topic)!.get(tp.partition) ?? { low: 0, high: 0 };
    const cache: FetchCache = { recs: [] };
    const probe = {
      at: async (offset: number): Promise<TimedRecord | null> => {
        let found: TimedRecord | null = null;
        await scanRange(
          ctx,
          i,
          offset,
          w.high,
          (m) => {
            const r = ctx.mappers[i]!(m);
            if (r.tsNs !== null) found = { offset: r.offset, tsNs: r.tsNs };
            return found === null;
          },
          PROBE_BYTES,
          cache,
        );
        return found;
      },
      range: async (from: number, to: number): Promise<TimedRecord[]> => {
        const out: TimedRecord[] = [];
        await scanRange(
          ctx,
          i,
          from,
          to,
          (m) => {
            const r = ctx.mappers[i]!(m);
            if (r.tsNs !== null) out.push({ offset: r.offset, tsNs: r.tsNs });
            return true;
          },
          undefined,
          cache,
        );
        return out;
      },
    };
    const cand = byTime.get(tp.topic)!.get(tp.partition) ?? null;
    const s = await verifiedSeek(t, w.low, w.high, cand, probe);
    return { seek: s.offset, end: w.high, low: w.low, verified: s.verified, probes: s.probes };
  });
  return {
    seek: results.map((r) => r.seek),
    ends: results.map((r) => r.end),
    lows: results.map((r) => r.low),
    verified: results.map((r) => r.verified),
    probes: results.map((r) => r.probes),
  };
}

/** Exact events per CEPtra partition for a fresh read of the window (what read() would yield). */
export async function countWindow(ctx: Ctx, window: TimeWindow, prep: WindowPrep): Promise<PartitionInfo[]> {
  const n = ctx.options.ceptraPartitions;
  const infos: PartitionInfo[] = Array.from({ length: n }, (_, partition) => ({
    partition,
    rows: 0,
    exact: true,
    firstTsNs: null,
    lastTsNs: null,
  }));
  const d = ctx.options.maxDisorderNs;
  const stopAt = window.endNs + d;
  const send = ctx.options.onDisorder === 'send';
  await pool(ctx.tps, 4, async (_, t) => {
    let max: bigint | null = null;
    await scanRange(ctx, t, prep.seek[t]!, prep.ends[t]!, (m) => {
      const r = ctx.mappers[t]!(m);
      const ts = r.tsNs;
      if (r.event && ts !== null && ts >= window.startNs && ts < window.endNs) {
        const ooo = max !== null && ts < max - d;
        if (!ooo || send) {
          const info = infos[r.partition]!;
          info.rows++;
          if (info.firstTsNs === null || ts < info.firstTsNs) info.firstTsNs = ts;
          if (info.lastTsNs === null || ts > info.lastTsNs) info.lastTsNs = ts;
        }
      }
      if (ts !== null && (max === null || ts > max)) max = ts;
      return !(max !== null && max >= stopAt);
    });
  });
  return infos;
}

export async function sampleDisorder(ctx: Ctx, prep: WindowPrep): Promise<DisorderSample[]> {
  const limit = ctx.options.sampleRecords;
  const d = ctx.options.maxDisorderNs;
  return pool(ctx.tps, 8, async (_, t) => {
    const s: DisorderSample = {
      records: 0,
      maxBackwardNs: 0n,
      outOfOrder: 0,
      poison: 0,
      firstTsNs: null,
      lastTsNs: null,
    };
    let max: bigint | null = null;
    await scanRange(ctx, t, prep.seek[t]!, prep.ends[t]!, (m) => {
      const r = ctx.mappers[t]!(m);
      s.records++;
      if (r.poison) s.poison++;
      const ts = r.tsNs;
      if (ts !== null) {
        s.firstTsNs ??= ts;
        s.lastTsNs = ts;
        if (max !== null && max - ts > s.maxBackwardNs) s.maxBackwardNs = max - ts;
        if (max !== null && ts < max - d) s.outOfOrder++;
        if (max === null || ts > max) max = ts;
      }
      return s.records < limit;
    });
    return s;
  });
}
