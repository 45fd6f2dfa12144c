/**
 * Shared scans against the mock cluster: reads declared with expectReads share one scan; a slow
 * reader pauses the scan (bounded buffers) without losing anything; a reader that leaves does not
 * block the others and reads again in a scan of its own; a declared partition that never comes
 * delays the scan only until joinTimeoutMs. Scans are counted from the source's debug log.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KafkaSource } from '../../../src/sources/kafka/index.js';
import type { EventBatch, SourcePosition } from '../../../src/sources/source.js';
import { type KafkaCluster, produce, startKafka } from '../../helpers/kafka.js';
import { ids, keyFor, ns, readAll, source, T0, unique } from './fixtures.js';

const TOPIC = unique('scan');
const N = 2;
const COUNT = 2000;
const W = { startNs: ns(T0), endNs: ns(T0 + 3_600_000) };
let cluster: KafkaCluster;

beforeAll(async () => {
  cluster = await startKafka({ topics: [{ name: TOPIC, partitions: 3 }] });
  // Many small produce requests: small record batches, so a fetch returns a part of a partition.
  for (let chunk = 0; chunk < COUNT; chunk += 50) {
    await produce(
      cluster.brokers,
      TOPIC,
      Array.from({ length: 50 }, (_, j) => {
        const i = chunk + j;
        return { partition: i % 3, key: keyFor(i % N, N, i), value: `v${i}`, timestamp: String(T0 + i) };
      }),
    );
  }
});
afterAll(async () => {
  await cluster?.stop();
});

interface Line {
  level: number;
  msg: string;
}

async function open(extra: Parameters<typeof source>[3] = {}): Promise<{ s: KafkaSource; logs: Line[] }> {
  const logs: Line[] = [];
  const logger = pino({ level: 'debug' }, { write: (l: string) => void logs.push(JSON.parse(l) as Line) });
  const s = await source(cluster, [TOPIC], N, { ...extra, logger });
  return { s, logs };
}

const scans = (logs: Line[]) => logs.filter((l) => l.msg === 'kafka scan starting').length;

let full: EventBatch[][];

it('reads declared with expectReads share one scan', async () => {
  const { s, logs } = await open();
  try {
    full = await readAll(s, W, { batchSize: 100 });
    expect(full.flat().flatMap((b) => b.events)).toHaveLength(COUNT);
    expect(scans(logs)).toBe(1);
  } finally {
    await s.close();
  }
});

it('a slow reader pauses the scan (bounded buffer) and nothing is lost', async () => {
  const { s } = await open({
    partitionBufferEvents: 40,
    reorderBufferRecords: 100,
    // The data spans 2 s: with the default 5 s bound nothing is released before the end, and
    // everything would sit in the reorder buffer instead of the partition buffers under test.
    maxDisorderNs: 10_000_000n,
    maxBytesPerPartition: 512,
  });
  try {
    s.expectReads(
      new Map([
        [0, null],
        [1, null],
      ]),
    );
    const got: string[][] = [[], []];
    let slowDone = false;
    let fastWhileSlowWaited = 0;
    let release!: () => void;
    const hold = new Promise<void>((r) => {
      release = r;
    });
    const slow = (async () => {
      for await (const b of s.read(0, null, W, { batchSize: 10 })) {
        got[0]!.push(...b.events.map((e) => e.eventId));
        if (got[0]!.length === 10) await hold; // stop pulling for a while
      }
      slowDone = true;
    })();
    const fast = (async () => {
      for await (const b of s.read(1, null, W, { batchSize: 10 })) {
        got[1]!.push(...b.events.map((e) => e.eventId));
        if (got[0]!.length === 10 && !slowDone) fastWhileSlowWaited = got[1]!.length;
        // Once the fast reader has had what the bounded scan lets through, let the slow one go.
        if (got[1]!.length >= 300) release();
      }
    })();
    // If the scan never paused, the fast reader would finish alone while the slow one is held.
    const settled = await Promise.race([
      fast.then(() => 'fast-done'),
      new Promise((r) => setTimeout(r, 8_000, 'held')),
    ]);
    release();
    await Promise.all([slow, fast]);
    expect(settled).toBe('held');
    expect(fastWhileSlowWaited).toBeLessThan(COUNT / 2);
    expect(got).toEqual(full.map(ids));
  } finally {
    await s.close();
  }
});

it('a reader that leaves does not block the others, and reads again exactly in a scan of its own', async () => {
  const { s, logs } = await open({ partitionBufferEvents: 40, maxBytesPerPartition: 512 });
  try {
    s.expectReads(
      new Map([
        [0, null],
        [1, null],
      ]),
    );
    let cursor: SourcePosition | null = null;
    const leaver = (async () => {
      for await (const b of s.read(0, null, W, { batchSize: 10 })) {
        const last = b.events.at(-1)!;
        cursor = { tsNs: last.tsNs, eventId: last.eventId, resume: b.resume! };
        break; // the engine stopped this partition (e.g. a target outage)
      }
    })();
    const other = (async () => {
      const out: string[] = [];
      for await (const b of s.read(1, null, W, { batchSize: 10 }))
        out.push(...b.events.map((e) => e.eventId));
      return out;
    })();
    await leaver;
    expect(await other).toEqual(ids(full[1]!));
    const again: string[] = [];
    for await (const b of s.read(0, cursor, W, { batchSize: 25 }))
      again.push(...b.events.map((e) => e.eventId));
    expect([...ids(full[0]!).slice(0, 10), ...again]).toEqual(ids(full[0]!));
    expect(scans(logs)).toBe(2);
  } finally {
    await s.close();
  }
});

it('a declared partition that never reads delays the scan only until joinTimeoutMs', async () => {
  const { s, logs } = await open({ joinTimeoutMs: 500 });
  try {
    s.expectReads(
      new Map([
        [0, null],
        [1, null],
      ]),
    );
    const out: string[] = [];
    for await (const b of s.read(0, null, W, { batchSize: 500 })) out.push(...b.events.map((e) => e.eventId));
    expect(out).toEqual(ids(full[0]!));
    expect(logs.some((l) => l.level === 40 && /not every expected partition/.test(l.msg))).toBe(true);
  } finally {
    await s.close();
  }
});

it('without expectReads a read scans at once, alone; abort ends it', async () => {
  const { s } = await open();
  try {
    const stop = new AbortController();
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const b of s.read(1, null, W, { batchSize: 7, signal: stop.signal })) {
          got.push(...b.events.map((e) => e.eventId));
          stop.abort(new Error('stop'));
        }
      })(),
    ).rejects.toThrow('stop');
    expect(got).toEqual(ids(full[1]!).slice(0, 7));
  } finally {
    await s.close();
  }
});
