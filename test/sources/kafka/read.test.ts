/**
 * The Kafka source against librdkafka's mock cluster: topics with several partitions (and two
 * topics), equal timestamps, disorder inside and beyond the bound (both policies), an empty
 * partition, records exactly at the window's start and end, and an exact resume from a token
 * taken mid-way. One cluster for the file, fresh topics per test; each scan costs a consumer
 * group join (3 s in the mock).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../../src/common/fnv.js';
import type { KafkaSource } from '../../../src/sources/kafka/index.js';
import type { EventBatch, SourcePosition } from '../../../src/sources/source.js';
import { type KafkaCluster, startKafka } from '../../helpers/kafka.js';
import { ids, keyFor, ns, poison, put, readAll, source, T0, unique, values } from './fixtures.js';

let cluster: KafkaCluster;
const A = unique('a');
const B = unique('b');
const C = unique('c');
const D = unique('d');
const E = unique('e');

beforeAll(async () => {
  cluster = await startKafka({
    topics: [
      { name: A, partitions: 3 },
      { name: B, partitions: 2 },
      { name: C, partitions: 2 },
      { name: D, partitions: 1 },
      { name: E, partitions: 2 },
    ],
  });
});
afterAll(async () => {
  await cluster?.stop();
});

const opened: KafkaSource[] = [];
afterAll(async () => {
  await Promise.allSettled(opened.map((s) => s.close()));
});
async function open(...args: Parameters<typeof source> extends [unknown, ...infer R] ? R : never) {
  const s = await source(cluster, ...args);
  opened.push(s);
  return s;
}

const W = { startNs: ns(T0), endNs: ns(T0 + 60_000) };

function sortedKeys(batches: EventBatch[]): [bigint, string][] {
  return batches.flatMap((b) => b.events.map((e): [bigint, string] => [e.tsNs, e.eventId]));
}

function strictlyAscending(keys: [bigint, string][]): boolean {
  return keys.every(([t, id], i) => {
    if (i === 0) return true;
    const [pt, pid] = keys[i - 1]!;
    return pt < t || (pt === t && pid < id);
  });
}

describe('KafkaSource (mock cluster)', () => {
  it('merges several topic-partitions of two topics per CEPtra partition, equal times by id, window half-open', async () => {
    const n = 3;
    // Topic A: 3 partitions, partition 2 empty; topic B: 2 partitions. Many equal timestamps,
    // records exactly at start (in) and end (out), and some before start / after end.
    const times = [T0 - 1, T0, T0, T0 + 1, T0 + 1, T0 + 1, T0 + 2, T0 + 59_999, T0 + 60_000, T0 + 60_001];
    await put(
      cluster,
      A,
      [0, 1].flatMap((part) =>
        times.map((at, i) => ({ partition: part, at, key: keyFor(i % n, n, part * 7) })),
      ),
    );
    await put(
      cluster,
      B,
      [0, 1].flatMap((part) =>
        times.map((at, i) => ({ partition: part, at, key: keyFor((i + 1) % n, n, part) })),
      ),
    );
    const s = await open([A, B], n);
    const out = await readAll(s, W, { batchSize: 4 });
    const all = out.flat();
    // 4 topic-partitions with data × 7 records in [T0, T0 + 60 s).
    expect(all.flatMap((b) => b.events)).toHaveLength(4 * 7);
    for (const [p, batches] of out.entries()) {
      const keys = sortedKeys(batches);
      expect(strictlyAscending(keys)).toBe(true);
      for (const b of batches) {
        expect(b.partition).toBe(p);
        expect(b.events.length).toBeLessThanOrEqual(4);
        expect(typeof b.resume).toBe('string');
        for (const e of b.events) {
          expect(partitionForKey(e.key, n)).toBe(p);
          expect(e.tsNs >= W.startNs && e.tsNs < W.endNs).toBe(true);
          expect(e.schemaKey).toBe('proto:1.0:test');
          expect(e.eventId).toMatch(new RegExp(`^(${A}|${B})/[01]/\\d+$`));
        }
      }
    }
    // The event at exactly the start is in, the one at exactly the end is out.
    const everything = out.flatMap((b) => sortedKeys(b));
    expect(everything.some(([t]) => t === W.startNs)).toBe(true);
    expect(everything.some(([t]) => t === W.endNs)).toBe(false);
    expect(poison(all)).toEqual([]);
    // Exact counts agree with what was read.
    const infos = await s.partitions(W, { exact: true });
    expect(infos.map((i) => i.rows)).toEqual(out.map((b) => b.flatMap((x) => x.events).length));
    expect(infos.every((i) => i.exact)).toBe(true);
  });

  it('reorders disorder inside the bound; beyond it dead-letters OUT_OF_ORDER_SOURCE, or sends it alone', async () => {
    const n = 2;
    const k0 = keyFor(0, n);
    const k1 = keyFor(1, n);
    // maxDisorder 5 s. Partition 0: 10 s, 7 s (3 s back: inside), 20 s, 12 s (8 s back: beyond), 30 s.
    await put(cluster, C, [
      { partition: 0, at: T0 + 10_000, key: k0, value: 'c0-10' },
      { partition: 0, at: T0 + 7_000, key: k0, value: 'c0-7' },
      { partition: 0, at: T0 + 20_000, key: k1, value: 'c0-20' },
      { partition: 0, at: T0 + 12_000, key: k0, value: 'c0-12-late' },
      { partition: 0, at: T0 + 30_000, key: k0, value: 'c0-30' },
      { partition: 1, at: T0 + 8_000, key: k0, value: 'c1-8' },
      { partition: 1, at: T0 + 25_000, key: k1, value: 'c1-25' },
    ]);
    const dl = await open([C], n);
    const out = await readAll(dl, W);
    expect(values(out[0]!)).toEqual(['c0-7', 'c1-8', 'c0-10', 'c0-30']);
    expect(values(out[1]!)).toEqual(['c0-20', 'c1-25']);
    const rows = poison(out[0]!);
    expect(rows.map((r) => [r.reason, r.payload?.toString(), r.tsNs])).toEqual([
      ['OUT_OF_ORDER_SOURCE', 'c0-12-late', ns(T0 + 12_000)],
    ]);

    const send = await open([C], n, { onDisorder: 'send' });
    const sent = await readAll(send, W);
    expect(poison(sent[0]!)).toEqual([]);
    expect(values(sent[0]!).sort()).toEqual(['c0-10', 'c0-12-late', 'c0-30', 'c0-7', 'c1-8']);
    const alone = sent[0]!.filter((b) => JSON.parse(b.resume!).o !== undefined);
    expect(alone.map((b) => values([b]))).toEqual([['c0-12-late']]);
  });

  it('an empty topic and an empty window read nothing; exact counts are zero', async () => {
    const s = await open([D], 2);
    const out = await readAll(s, W);
    expect(out.flat()).toEqual([]);
    expect((await s.partitions(W, { exact: true })).map((i) => i.rows)).toEqual([0, 0]);
  });

  it('resumes exactly from a position and token taken mid-way (and from an older token)', async () => {
    const n = 2;
    const recs = Array.from({ length: 120 }, (_, i) => ({
      partition: i % 2,
      // Some disorder inside the 5 s bound, many equal times.
      at: T0 + 3000 + Math.floor(i / 3) * 1000 - (i % 4 === 3 ? 3000 : 0),
      key: keyFor(i % n, n, i),
    }));
    await put(cluster, E, recs);
    const s = await open([E], n);
    const full = await readAll(s, W, { batchSize: 7 });
    expect(full.flat().flatMap((b) => b.events)).toHaveLength(120);

    // Partition 0: the cursor after batch 3 (its own token); partition 1: a position in the middle
    // of batch 4 with batch 3's token (the engine's earlier pieces carry the previous token).
    const pos = (batches: EventBatch[], b: number, i: number, tokenOf: number): SourcePosition => {
      const e = batches[b]!.events[i]!;
      return { tsNs: e.tsNs, eventId: e.eventId, resume: batches[tokenOf]!.resume! };
    };
    const from = new Map<number, SourcePosition | null>([
      [0, pos(full[0]!, 3, full[0]![3]!.events.length - 1, 3)],
      [1, pos(full[1]!, 4, 2, 3)],
    ]);
    const s2 = await open([E], n);
    const rest = await readAll(s2, W, { batchSize: 5, from });
    const before0 = ids(full[0]!.slice(0, 4));
    const before1 = [...ids(full[1]!.slice(0, 4)), ...ids([full[1]![4]!]).slice(0, 3)];
    expect([...before0, ...ids(rest[0]!)]).toEqual(ids(full[0]!));
    expect([...before1, ...ids(rest[1]!)]).toEqual(ids(full[1]!));
  });
});
