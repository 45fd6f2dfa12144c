/**
 * The shared contract every `Source` passes (hono's and bullmq's habit: one suite, every
 * implementation). A harness loads a known set of events; the suite checks what the engine relies
 * on: partitions and counts, `(tsNs, eventId)` order with equal timestamps, the half-open window,
 * exclusive resume positions, bounded batches, byte-exact events, a stop signal, and close().
 *
 * Event ids are zero-padded (`e-000042`) so every collation orders them like JS does; times are
 * whole milliseconds (a Postgres timestamp keeps microseconds, a Kafka record timestamp
 * milliseconds). Every key routes to its partition under CEPtra's FNV-1a-64(key) mod
 * `CONTRACT_PARTITIONS`, so a source that routes by key (Kafka) holds the same partitions as one
 * that stores them (Postgres, which ignores routing on read).
 */
import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/common/fnv.js';
import type {
  EventBatch,
  Source,
  SourceEvent,
  SourcePosition,
  TimeWindow,
} from '../../src/sources/source.js';

export interface SourceHarness {
  /** A source holding exactly these events per partition (key, payload and schema key as given). */
  open(data: Map<number, SourceEvent[]>): Promise<Source>;
  /** Drops what `open` created (tables, topics); the suite closes the source itself. */
  cleanup?(): Promise<void>;
}

const BASE = 1_754_006_400_000_000_000n; // 2025-08-01T00:00:00Z
const US = 1_000n;

/** CEPtra's N for the suite's data: harnesses whose source routes or checks keys use it. */
export const CONTRACT_PARTITIONS = 8;

/** `key-<p>-<j>-<salt>` with the first salt that routes to partition p. */
function routedKey(p: number, j: number): Buffer {
  for (let salt = 0; ; salt++) {
    const k = `key-${p}-${j}-${salt}`;
    if (partitionForKey(k, CONTRACT_PARTITIONS) === p) return Buffer.from(k);
  }
}

/** Partition p: n events, runs of three equal timestamps, bytes that differ per event. */
function events(p: number, n: number): SourceEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    tsNs: BASE + BigInt(Math.floor(i / 3)) * 1_000n * US,
    eventId: `e-${String(p * 100_000 + i).padStart(6, '0')}`,
    key: routedKey(p, i % 7),
    payload: Buffer.from(`{"p":${p},"i":${i}}`),
    schemaKey: 'proto:1.0:contract',
  }));
}

const DATA = new Map<number, SourceEvent[]>([
  [0, events(0, 40)],
  [2, events(2, 7)],
  [5, events(5, 1)],
]);
const ALL: TimeWindow = { startNs: BASE - 1_000_000_000n, endNs: BASE + 3_600_000_000_000n };

async function readAll(
  source: Source,
  partition: number,
  from: SourcePosition | null,
  window: TimeWindow,
  batchSize = 1000,
): Promise<{ events: SourceEvent[]; batches: EventBatch[] }> {
  const batches: EventBatch[] = [];
  for await (const b of source.read(partition, from, window, { batchSize })) batches.push(b);
  return { events: batches.flatMap((b) => b.events), batches };
}

const ids = (evs: readonly SourceEvent[]) => evs.map((e) => e.eventId);

export function sourceContract(name: string, harness: () => SourceHarness): void {
  describe(`${name}: Source contract`, () => {
    const withSource = async (fn: (s: Source) => Promise<void>) => {
      const h = harness();
      const source = await h.open(DATA);
      try {
        await fn(source);
      } finally {
        await source.close();
        await h.cleanup?.();
      }
    };

    it('lists the partitions of a window with exact counts and first/last times', () =>
      withSource(async (s) => {
        const infos = (await s.partitions(ALL, { exact: true })).sort((a, b) => a.partition - b.partition);
        // A source may list partitions without events (Kafka lists all N): they hold 0 rows.
        expect(
          infos.filter((i) => !DATA.has(i.partition)).map((i) => [i.partition, i.rows, i.firstTsNs]),
        ).toEqual(infos.filter((i) => !DATA.has(i.partition)).map((i) => [i.partition, 0, null]));
        expect(
          infos
            .filter((i) => DATA.has(i.partition))
            .map((i) => [i.partition, i.rows, i.firstTsNs, i.lastTsNs]),
        ).toEqual([...DATA].map(([p, evs]) => [p, evs.length, evs[0]!.tsNs, evs.at(-1)!.tsNs]));
      }));

    it('reads a partition in (event_time, event_id) order, equal times by id, bytes exact', () =>
      withSource(async (s) => {
        const { events: got } = await readAll(s, 0, null, ALL);
        expect(ids(got)).toEqual(ids(DATA.get(0)!));
        for (const [i, e] of got.entries()) {
          const want = DATA.get(0)![i]!;
          expect(e.tsNs).toBe(want.tsNs);
          expect(e.key.equals(want.key)).toBe(true);
          expect(e.payload.equals(want.payload)).toBe(true);
          expect(e.schemaKey).toBe(want.schemaKey);
        }
      }));

    it('honours the half-open window [start, end): an event at start is in, one at end is out', () =>
      withSource(async (s) => {
        const evs = DATA.get(0)!;
        const window = { startNs: evs[3]!.tsNs, endNs: evs[12]!.tsNs };
        const { events: got } = await readAll(s, 0, null, window);
        expect(ids(got)).toEqual(ids(evs.filter((e) => e.tsNs >= window.startNs && e.tsNs < window.endNs)));
        expect(got[0]!.eventId).toBe(evs[3]!.eventId);
      }));

    it('resumes strictly after a position, also inside a run of equal timestamps', () =>
      withSource(async (s) => {
        const evs = DATA.get(0)!;
        for (const at of [0, 4, 5, 38]) {
          const from = { tsNs: evs[at]!.tsNs, eventId: evs[at]!.eventId };
          const { events: got } = await readAll(s, 0, from, ALL);
          expect(ids(got)).toEqual(ids(evs.slice(at + 1)));
        }
        const last = evs.at(-1)!;
        expect((await readAll(s, 0, { tsNs: last.tsNs, eventId: last.eventId }, ALL)).events).toEqual([]);
      }));

    it('yields non-empty batches of at most batchSize events', () =>
      withSource(async (s) => {
        const { events: got, batches } = await readAll(s, 0, null, ALL, 6);
        expect(got).toHaveLength(40);
        for (const b of batches) {
          expect(b.partition).toBe(0);
          expect(b.events.length).toBeGreaterThan(0);
          expect(b.events.length).toBeLessThanOrEqual(6);
        }
      }));

    it('reads nothing from a partition without events in the window, or an empty window', () =>
      withSource(async (s) => {
        expect((await readAll(s, 3, null, ALL)).events).toEqual([]);
        const before = { startNs: ALL.startNs, endNs: BASE };
        expect((await readAll(s, 0, null, before)).events).toEqual([]);
        expect((await readAll(s, 5, null, ALL)).events.map((e) => e.eventId)).toEqual(ids(DATA.get(5)!));
      }));

    it('stops at a batch boundary once its signal aborts', () =>
      withSource(async (s) => {
        const stop = new AbortController();
        const got: SourceEvent[] = [];
        try {
          for await (const b of s.read(0, null, ALL, { batchSize: 5, signal: stop.signal })) {
            got.push(...b.events);
            stop.abort();
          }
        } catch {
          // a source may end an aborted read by throwing; what matters is that it stops
        }
        expect(got.length).toBeGreaterThan(0);
        expect(got.length).toBeLessThan(40);
        expect(ids(got)).toEqual(ids(DATA.get(0)!.slice(0, got.length)));
      }));
  });
}
