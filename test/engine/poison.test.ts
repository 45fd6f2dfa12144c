import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_EVENT_BYTES } from '../../src/common/contract.js';
import { ReplayError } from '../../src/common/errors.js';
import {
  checkEvent,
  eventsToDeadLetters,
  PoisonPolicy,
  poisonRowsToDeadLetters,
  screenBatch,
  splitPoison,
} from '../../src/engine/poison.js';
import type { SourceEvent } from '../../src/sources/source.js';
import { FileStateStore, PgStateStore } from '../../src/stores/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const NOW = 1_763_780_000_000_000_000n;
const ev = (i: number, over: Partial<SourceEvent> = {}): SourceEvent => ({
  tsNs: NOW - 1_000_000_000n + BigInt(i),
  eventId: `e${i}`,
  key: Buffer.from('k'),
  payload: Buffer.from('{}'),
  schemaKey: 's:1',
  ...over,
});

describe('checkEvent', () => {
  it('passes an ordinary event and the exact limits', () => {
    expect(checkEvent(ev(0), { nowNs: NOW })).toBeNull();
    expect(checkEvent(ev(0, { tsNs: NOW + 5_000_000_000n }), { nowNs: NOW })).toBeNull();
    expect(checkEvent(ev(0, { payload: Buffer.alloc(DEFAULT_MAX_EVENT_BYTES) }), { nowNs: NOW })).toBeNull();
    expect(checkEvent(ev(0, { tsNs: 0n }), { nowNs: NOW })).toBeNull(); // the past is never refused
  });

  it('FUTURE_SKEW one ns past now + 5 s (default) or a configured skew', () => {
    expect(checkEvent(ev(0, { tsNs: NOW + 5_000_000_001n }), { nowNs: NOW })).toBe('FUTURE_SKEW');
    expect(checkEvent(ev(0, { tsNs: NOW + 2n }), { nowNs: NOW, futureSkewNs: 1n })).toBe('FUTURE_SKEW');
    expect(checkEvent(ev(0, { tsNs: NOW + 1n }), { nowNs: NOW, futureSkewNs: 1n })).toBeNull();
  });

  it('PAYLOAD_TOO_LARGE one byte over 1 MiB (default) or a configured limit; time is checked first', () => {
    const big = Buffer.alloc(DEFAULT_MAX_EVENT_BYTES + 1);
    expect(checkEvent(ev(0, { payload: big }), { nowNs: NOW })).toBe('PAYLOAD_TOO_LARGE');
    expect(checkEvent(ev(0, { payload: Buffer.alloc(11) }), { nowNs: NOW, maxEventBytes: 10 })).toBe(
      'PAYLOAD_TOO_LARGE',
    );
    expect(checkEvent(ev(0, { payload: big, tsNs: NOW + 6_000_000_000n }), { nowNs: NOW })).toBe(
      'FUTURE_SKEW',
    );
  });
});

describe('splitPoison', () => {
  it('returns the same array and no poison when nothing is poison', () => {
    const events = Array.from({ length: 100 }, (_, i) => ev(i));
    const r = splitPoison(events, { nowNs: NOW });
    expect(r.events).toBe(events);
    expect(r.poison).toHaveLength(0);
    expect(splitPoison([], { nowNs: NOW }).poison).toHaveLength(0);
  });

  it('splits off poison events with reason and index, keeping the rest in order', () => {
    const events = [
      ev(0),
      ev(1, { tsNs: NOW + 10_000_000_000n }),
      ev(2),
      ev(3, { payload: Buffer.alloc(20) }),
      ev(4),
    ];
    const r = splitPoison(events, { nowNs: NOW, maxEventBytes: 10 });
    expect(r.events.map((e) => e.eventId)).toEqual(['e0', 'e2', 'e4']);
    expect(r.poison.map((p) => [p.event.eventId, p.reason, p.index])).toEqual([
      ['e1', 'FUTURE_SKEW', 1],
      ['e3', 'PAYLOAD_TOO_LARGE', 3],
    ]);
    expect(events).toHaveLength(5); // input untouched
  });
});

describe('screenBatch', () => {
  it('fast path: the read events themselves and no dead letters', () => {
    const events = [ev(0), ev(1)];
    const r = screenBatch('j', { partition: 0, events }, { nowNs: NOW });
    expect(r.events).toBe(events);
    expect(r.deadLetters).toHaveLength(0);
  });

  it('merges poison rows (by position) and refused events into one source-ordered list', () => {
    const row = (position: number, eventId: string) => ({
      reason: 'NULL_KEY',
      eventId,
      tsNs: 1n,
      partition: 4,
      raw: {},
      position,
    });
    // Source order: rowA, e0, e1(skewed), rowB, e2, e3(too large), rowC
    const events = [
      ev(0),
      ev(1, { tsNs: NOW + 9_000_000_000n }),
      ev(2),
      ev(3, { payload: Buffer.alloc(99) }),
    ];
    const r = screenBatch(
      'j',
      { partition: 4, events, poison: [row(0, 'rowA'), row(2, 'rowB'), row(4, 'rowC')] },
      { nowNs: NOW, maxEventBytes: 50 },
    );
    expect(r.events.map((e) => e.eventId)).toEqual(['e0', 'e2']);
    expect(r.deadLetters.map((d) => [d.eventId, d.reason, d.partition])).toEqual([
      ['rowA', 'NULL_KEY', 4],
      ['e1', 'FUTURE_SKEW', 4],
      ['rowB', 'NULL_KEY', 4],
      ['e3', 'PAYLOAD_TOO_LARGE', 4],
      ['rowC', 'NULL_KEY', 4],
    ]);
  });
});

describe('dead-letter conversion', () => {
  it('keeps every field of poison rows and refused events', () => {
    const rows = poisonRowsToDeadLetters('j', [
      {
        reason: 'NULL_KEY',
        eventId: 'a',
        tsNs: 5n,
        partition: 2,
        raw: { k: null },
        position: 0,
        payload: Buffer.from('p'),
      },
      { reason: 'NULL_EVENT_ID', eventId: null, tsNs: 6n, partition: 2, raw: { id: null }, position: 1 },
    ]);
    expect(rows).toEqual([
      {
        job: 'j',
        partition: 2,
        eventId: 'a',
        tsNs: 5n,
        reason: 'NULL_KEY',
        raw: { k: null },
        payload: Buffer.from('p'),
      },
      { job: 'j', partition: 2, eventId: null, tsNs: 6n, reason: 'NULL_EVENT_ID', raw: { id: null } },
    ]);
    expect(eventsToDeadLetters('j', 1, [{ event: ev(3), reason: 'FUTURE_SKEW' }])).toEqual([
      { job: 'j', partition: 1, reason: 'FUTURE_SKEW', ...ev(3) },
    ]);
  });
});

describe('PoisonPolicy', () => {
  let dir: string;
  let db: TestDatabase;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cr-poison-'));
    db = await createTestDatabase('poison_policy');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await db?.drop();
  });
  const letters = (from: number, n: number) =>
    eventsToDeadLetters(
      'p',
      0,
      Array.from({ length: n }, (_, i) => ({ event: ev(from + i), reason: 'FUTURE_SKEW' })),
    );

  const stores = {
    file: async () => {
      const s = new FileStateStore({ file: join(dir, `${Math.random()}`, 'state.json') });
      await s.init();
      return s;
    },
    pg: async () => {
      const s = new PgStateStore({ url: db.url });
      await s.init();
      await s.reset('p');
      return s;
    },
  };

  describe.each(Object.keys(stores) as (keyof typeof stores)[])('with the %s store', (kind) => {
    it('dead-letter: stores and continues up to maxDeadLetters, then fails naming the key, after persisting', async () => {
      const store = await stores[kind]();
      const job = `p-${kind}-max`;
      const policy = new PoisonPolicy({ onPoison: 'dead-letter', maxDeadLetters: 3 }, store, job);
      await policy.record(letters(0, 2));
      await policy.record(letters(0, 2)); // the same again (re-read after resume): not counted twice
      await policy.record(letters(2, 1));
      expect(await store.countDeadLetters(job)).toBe(3);
      const err = await policy.record(letters(3, 1)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplayError);
      expect(err).toMatchObject({ code: 'POISON', exitCode: 1 });
      expect((err as Error).message).toMatch(/guardrails\.maxDeadLetters \(3\)/);
      expect(await store.countDeadLetters(job)).toBe(4); // persisted before failing
      // A new policy (a restarted run) counts what is already stored.
      const again = new PoisonPolicy({ onPoison: 'dead-letter', maxDeadLetters: 4 }, store, job);
      await expect(again.record(letters(4, 1))).rejects.toMatchObject({ code: 'POISON' });
      await store.close();
    });

    it('fail: the first poison event fails the job, after it is stored', async () => {
      const store = await stores[kind]();
      const job = `p-${kind}-fail`;
      const policy = new PoisonPolicy({ onPoison: 'fail', maxDeadLetters: 1000 }, store, job);
      await policy.record([]); // nothing to record is not a failure
      await expect(policy.record(letters(0, 2))).rejects.toThrow(/guardrails\.onPoison is "fail"/);
      expect(await store.countDeadLetters(job)).toBe(2);
      await store.close();
    });
  });
});
