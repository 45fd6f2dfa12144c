/**
 * The shared contract every StateStore must pass (run by postgres/state-store.test.ts and
 * file/state-store.test.ts). `open()` returns a fresh store on the same storage, initialized, so
 * tests can check what survives a reopen.
 */
import { describe, expect, it } from 'vitest';
import type { Cursor, StateStore } from '../../src/engine/cursor.js';
import { deadLetterContract } from './dead-letter-contract.js';

export interface StoreHarness {
  open(): Promise<StateStore>;
  /** Audit rows stored for a job, oldest first (storage-specific read). */
  audit(job: string): Promise<{ kind: string; partition: number | null; detail: Record<string, unknown> }[]>;
}

const cursor = (partition: number, over: Partial<Cursor> = {}): Cursor => ({
  partition,
  tsNs: 1_754_006_400_123_456_789n + BigInt(partition),
  eventId: `evt-${partition}`,
  seq: 10n + BigInt(partition),
  acked: 100n,
  done: false,
  epoch: 1,
  ...over,
});

const strip = (m: Map<number, Cursor>) => [...m.values()].map(({ updatedAt: _u, ...c }) => c);

export function stateStoreContract(name: string, harness: () => StoreHarness) {
  // One storage for the dead-letter suite: each test uses its own job ids.
  let shared: StoreHarness | undefined;
  deadLetterContract(name, () => {
    shared ??= harness();
    return shared.open();
  });
  describe(`${name}: StateStore contract`, () => {
    it('loads nothing for an unknown job', async () => {
      const store = await harness().open();
      expect((await store.load('nobody')).size).toBe(0);
      expect(await store.getJob('nobody')).toBeNull();
      await store.close();
    });

    it('round-trips cursors with exact bigint precision across a reopen', async () => {
      const h = harness();
      const a = await h.open();
      const big = cursor(3, {
        tsNs: 9_223_372_036_854_775_807n, // 19 digits, int64 max
        seq: 9_007_199_254_740_993n, // 2^53 + 1: not representable as a double
        acked: 12_345_678_901_234_567n,
        eventId: 'it\'s "quoted"\t\u00e9',
      });
      const beyond = cursor(4, { tsNs: 18_446_744_073_709_551_617n }); // > 2^64: numeric/text stay exact
      await a.save('job-a', [cursor(0), big, beyond]);
      await a.close();
      const b = await h.open();
      const loaded = await b.load('job-a');
      expect([...loaded.keys()]).toEqual([0, 3, 4]);
      expect(strip(loaded)).toEqual([cursor(0), big, beyond]);
      expect(loaded.get(3)!.updatedAt).toBeInstanceOf(Date);
      await b.close();
    });

    it("keeps the source's resume token with the cursor, replaces it, and omits it when absent", async () => {
      const h = harness();
      const a = await h.open();
      const token = JSON.stringify({ f: ['1754006400000000000', 'e-"1"'], tp: { 'orders/0': [42, '9'] } });
      await a.save('job-resume', [cursor(0, { resume: token }), cursor(1)]);
      await a.close();
      const b = await h.open();
      let loaded = await b.load('job-resume');
      expect(loaded.get(0)!.resume).toBe(token);
      expect('resume' in loaded.get(1)!).toBe(false);
      // A later save without a token (a source that gives none) clears it.
      await b.save('job-resume', [
        cursor(0, { seq: 20n, resume: 'next' }),
        cursor(1, { seq: 20n, resume: 'x' }),
      ]);
      await b.save('job-resume', [cursor(1, { seq: 21n })]);
      loaded = await b.load('job-resume');
      expect(loaded.get(0)!.resume).toBe('next');
      expect('resume' in loaded.get(1)!).toBe(false);
      await b.close();
    });

    it('upserts: a later save replaces a partition and keeps the others; jobs are separate', async () => {
      const store = await harness().open();
      await store.save('job-u', [cursor(0), cursor(1)]);
      await store.save('job-u', [cursor(1, { seq: 99n, done: true, eventId: 'later' })]);
      await store.save('job-other', [cursor(1, { eventId: 'other' })]);
      const loaded = await store.load('job-u');
      expect(loaded.get(0)).toMatchObject({ seq: 10n, eventId: 'evt-0' });
      expect(loaded.get(1)).toMatchObject({ seq: 99n, done: true, eventId: 'later' });
      expect((await store.load('job-other')).get(1)!.eventId).toBe('other');
      // The same partition twice in one save: the last one wins.
      await store.save('job-u', [cursor(2, { seq: 1n }), cursor(2, { seq: 2n })]);
      expect((await store.load('job-u')).get(2)!.seq).toBe(2n);
      await store.close();
    });

    it('reset forgets the cursors of one job only', async () => {
      const h = harness();
      const store = await h.open();
      await store.save('job-r', [cursor(0), cursor(1)]);
      await store.save('job-keep', [cursor(0)]);
      await store.reset('job-r');
      expect((await store.load('job-r')).size).toBe(0);
      expect((await store.load('job-keep')).size).toBe(1);
      await store.close();
      const again = await h.open();
      expect((await again.load('job-r')).size).toBe(0);
      await again.save('job-r', [cursor(5)]);
      expect([...(await again.load('job-r')).keys()]).toEqual([5]);
      await again.close();
    });

    it('reset moves the job to a stream epoch above every epoch it used, in the record too', async () => {
      const h = harness();
      const store = await h.open();
      const at = new Date('2025-08-01T00:00:00Z');
      await store.putJob('job-e', {
        specHash: 'h',
        state: 'running',
        epoch: 2,
        createdAt: at,
        updatedAt: at,
      });
      await store.save('job-e', [cursor(0, { epoch: 2 }), cursor(1, { epoch: 3 })]);
      expect(await store.reset('job-e')).toBe(4);
      expect((await store.getJob('job-e'))!.epoch).toBe(4);
      expect((await store.load('job-e')).size).toBe(0);
      // A second reset moves on again, though no cursor was written in between.
      expect(await store.reset('job-e')).toBe(5);
      await store.close();
      const again = await h.open();
      expect((await again.getJob('job-e'))!.epoch).toBe(5);
      // A job the store never saw starts at epoch 1.
      expect(await again.reset('job-never')).toBe(1);
      await again.close();
    });

    it('never moves a cursor backwards: a lower seq in the same epoch is refused, a later epoch is not', async () => {
      const store = await harness().open();
      await store.save('job-b', [cursor(0, { seq: 50n })]);
      const back = store.save('job-b', [cursor(0, { seq: 49n, eventId: 'older' })]);
      await expect(back).rejects.toMatchObject({ code: 'CURSOR_REGRESSION' });
      await expect(back).rejects.toThrow(/partition 0 \(epoch 1, seq 49\)/);
      expect((await store.load('job-b')).get(0)).toMatchObject({ seq: 50n, eventId: 'evt-0' });
      // Same seq again (markDone) is fine; a new epoch starts over at a low seq.
      await store.save('job-b', [cursor(0, { seq: 50n, done: true })]);
      await store.save('job-b', [cursor(0, { seq: 3n, epoch: 2, eventId: 'new-epoch' })]);
      expect((await store.load('job-b')).get(0)).toMatchObject({ seq: 3n, epoch: 2, eventId: 'new-epoch' });
      await store.close();
    });

    it('holds one run lock per job: a second taker is refused naming the holder, until release', async () => {
      const h = harness();
      const a = await h.open();
      const b = await h.open();
      const lock = await a.lock('job-l');
      const second = b.lock('job-l');
      await expect(second).rejects.toMatchObject({ code: 'JOB_LOCKED' });
      await expect(second).rejects.toThrow(new RegExp(`pid ${process.pid} on host `));
      await lock.release();
      const again = await b.lock('job-l');
      expect(again.lost.aborted).toBe(false);
      await again.release();
      await a.close();
      await b.close();
    });

    it('stores job metadata (spec hash, state, summary) and overwrites it', async () => {
      const h = harness();
      const store = await h.open();
      const createdAt = new Date('2025-08-01T00:00:00.123Z');
      await store.putJob('job-m', {
        specHash: 'abc',
        state: 'planned',
        epoch: 1,
        createdAt,
        updatedAt: createdAt,
      });
      expect(await store.getJob('job-m')).toEqual({
        specHash: 'abc',
        state: 'planned',
        epoch: 1,
        createdAt,
        updatedAt: createdAt,
      });
      const updatedAt = new Date('2025-08-01T01:00:00Z');
      await store.putJob('job-m', {
        specHash: 'abc',
        state: 'failed',
        epoch: 7,
        error: 'target unreachable',
        createdAt,
        updatedAt,
        summary: { events: 12n, partitions: [0, 1] },
      });
      await store.close();
      const again = await h.open();
      expect(await again.getJob('job-m')).toEqual({
        specHash: 'abc',
        state: 'failed',
        epoch: 7,
        error: 'target unreachable',
        createdAt,
        updatedAt,
        summary: { events: '12', partitions: [0, 1] },
      });
      await again.close();
    });

    it('writes audit rows with the cursor save', async () => {
      const h = harness();
      const store = await h.open();
      await store.save(
        'job-audit',
        [cursor(0)],
        [
          { kind: 'batch', partition: 0, detail: { events: 1000, lastSeq: 10n } },
          { kind: 'override', detail: { key: 'lateness_allowance_ms', value: 5000 } },
        ],
      );
      await store.save('job-audit', [], [{ kind: 'activation', detail: {} }]);
      expect(await h.audit('job-audit')).toEqual([
        { kind: 'batch', partition: 0, detail: { events: 1000, lastSeq: '10' } },
        { kind: 'override', partition: null, detail: { key: 'lateness_allowance_ms', value: 5000 } },
        { kind: 'activation', partition: null, detail: {} },
      ]);
      await store.close();
    });

    it('concurrent saves from one process: each partition ends at its highest seq, lower ones refused', async () => {
      const h = harness();
      const store = await h.open();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          store.save('job-c', [cursor(i % 5, { seq: BigInt(i), acked: BigInt(i) })]),
        ),
      );
      // Whatever order they land in, a lower seq never overwrites a higher one: it is refused.
      for (const r of results)
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CURSOR_REGRESSION' });
      const loaded = await store.load('job-c');
      expect([...loaded.keys()]).toEqual([0, 1, 2, 3, 4]);
      for (const [p, c] of loaded) expect(c.seq).toBe(BigInt(15 + p));
      await store.close();
    });
  });
}
