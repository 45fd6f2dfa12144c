/**
 * Drives the pure Merger like a scan would (tps interleaved in a chosen order, chunks of records,
 * partial flushes), and computes the expected output independently (a per-tp classification and a
 * sort), for the merger's unit and property tests.
 */

import { type KafkaBatch, Merger, type PartitionSetup } from '../../../src/sources/kafka/merger.js';
import type { OnDisorder } from '../../../src/sources/kafka/options.js';
import { type PartitionStart, restartOf } from '../../../src/sources/kafka/token.js';
import { compareKeys, type Rec, type TopicPartition } from '../../../src/sources/kafka/types.js';
import type { SourceEvent, SourcePosition, TimeWindow } from '../../../src/sources/source.js';
import { mulberry32 } from '../../../src/sources/synthetic/prng.js';

export interface SimRecord {
  offset: number;
  /** null: a poison record without a time. */
  ts: bigint | null;
  partition: number;
  poison?: boolean;
}

export interface SimData {
  tps: TopicPartition[];
  records: SimRecord[][];
  /** Fresh start offset (the time seek's answer) and end offset per tp. */
  seek: number[];
  ends: number[];
  window: TimeWindow;
  maxDisorderNs: bigint;
  onDisorder: OnDisorder;
  partitions: number;
}

export const idOf = (t: number, offset: number) => `t${t}-${String(offset).padStart(4, '0')}`;

export function toRec(t: number, r: SimRecord): Rec {
  if (r.poison || r.ts === null) {
    return {
      offset: r.offset,
      partition: r.partition,
      tsNs: r.ts,
      poison: { reason: 'NULL_KEY', eventId: null, tsNs: r.ts, raw: { id: idOf(t, r.offset) } },
    };
  }
  const event: SourceEvent = {
    tsNs: r.ts,
    eventId: idOf(t, r.offset),
    key: Buffer.from('k'),
    payload: Buffer.from(idOf(t, r.offset)),
    schemaKey: 's',
  };
  return { offset: r.offset, partition: r.partition, tsNs: r.ts, event };
}

export function freshStarts(d: SimData): PartitionStart[] {
  return Array.from({ length: d.partitions }, () => restartOf(null, d.window, d.tps, d.seek, d.ends));
}

export interface SimOptions {
  seed: number;
  batchSizes: number[];
  starts: PartitionStart[];
  /** Max records per feed call. */
  chunk?: number;
  /** Probability of a partial flush of a random partition after a feed. */
  flushRate?: number;
}

/** Runs a whole scan; returns each partition's batches in emission order. */
export function simulate(d: SimData, o: SimOptions): KafkaBatch[][] {
  const r = rng(o.seed);
  const setups: PartitionSetup[] = o.starts.map((start, partition) => ({
    partition,
    start,
    batchSize: o.batchSizes[partition % o.batchSizes.length]!,
  }));
  const m = new Merger(
    { window: d.window, maxDisorderNs: d.maxDisorderNs, onDisorder: d.onDisorder, tps: d.tps },
    setups,
  );
  m.onMismatch = (x) => {
    throw new Error(
      `lineage mismatch ${JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
    );
  };
  const out: KafkaBatch[][] = setups.map(() => []);
  const takeAll = () => {
    for (const s of setups)
      for (let b = m.take(s.partition); b; b = m.take(s.partition)) out[s.partition]!.push(b);
  };
  const recs = d.records.map((list, t) => list.map((x) => toRec(t, x)));
  for (let guard = 0; !m.done; guard++) {
    if (guard > 100_000) throw new Error('simulation does not finish');
    const open = d.tps.map((_, t) => t).filter((t) => !m.isFinished(t));
    const t = open[Math.floor(r() * open.length)]!;
    const next = m.nextOffset(t);
    const rest = recs[t]!.filter((x) => x.offset >= next);
    if (rest.length === 0) m.skipTo(t, d.ends[t]!);
    else m.feed(t, rest.slice(0, 1 + Math.floor(r() * (o.chunk ?? 4))));
    if (r() < (o.flushRate ?? 0.1)) m.flush(Math.floor(r() * d.partitions));
    if (r() < 0.5) takeAll();
  }
  takeAll();
  for (const s of setups)
    if (!m.drained(s.partition)) throw new Error(`partition ${s.partition} not drained`);
  return out;
}

export interface Expected {
  inOrder: string[][];
  ooo: Set<string>[];
  poison: Set<string>[];
}

/** Independent reference: per tp from its seek, classify; stop early; filter window; sort. */
export function expected(d: SimData): Expected {
  const inOrder: { ts: bigint; id: string }[][] = Array.from({ length: d.partitions }, () => []);
  const ooo = Array.from({ length: d.partitions }, () => new Set<string>());
  const poison = Array.from({ length: d.partitions }, () => new Set<string>());
  d.records.forEach((list, t) => {
    let max: bigint | null = null;
    for (const r of list) {
      if (r.offset < d.seek[t]! || r.offset >= d.ends[t]!) continue;
      const id = idOf(t, r.offset);
      const inWindow = r.ts === null || (r.ts >= d.window.startNs && r.ts < d.window.endNs);
      if (inWindow) {
        if (r.poison || r.ts === null) poison[r.partition]!.add(id);
        else if (max !== null && r.ts < max - d.maxDisorderNs) ooo[r.partition]!.add(id);
        else inOrder[r.partition]!.push({ ts: r.ts, id });
      }
      if (r.ts !== null && (max === null || r.ts > max)) max = r.ts;
      if (max !== null && max >= d.window.endNs + d.maxDisorderNs) break;
    }
  });
  return {
    inOrder: inOrder.map((l) =>
      l
        .sort((a, b) => compareKeys({ tsNs: a.ts, eventId: a.id }, { tsNs: b.ts, eventId: b.id }))
        .map((x) => x.id),
    ),
    ooo,
    poison,
  };
}

/** Splits a partition's output into in-order ids, out-of-order sent ids, and poison ids. */
export function classify(batches: readonly KafkaBatch[]): {
  inOrder: string[];
  ooo: string[];
  poison: string[];
} {
  const inOrder: string[] = [];
  const ooo: string[] = [];
  const poison: string[] = [];
  for (const b of batches) {
    const single = JSON.parse(b.resume).o !== undefined;
    for (const e of b.events) (single ? ooo : inOrder).push(e.eventId);
    for (const p of b.poison ?? []) poison.push(p.eventId ?? String(p.raw.id ?? p.raw.offset));
  }
  return { inOrder, ooo, poison };
}

export type { SourcePosition };

/** A deterministic PRNG (mulberry32) so a failing schedule replays. */
export const rng = mulberry32;
