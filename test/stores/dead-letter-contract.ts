/**
 * The dead-letter half of the StateStore contract (run by postgres/state-store.test.ts and
 * file/state-store.test.ts through `stateStoreContract`).
 */
import { describe, expect, it } from 'vitest';
import type { DeadLetterRecord, StateStore, StoredDeadLetter } from '../../src/engine/cursor.js';

export const letter = (i: number, over: Partial<DeadLetterRecord> = {}): DeadLetterRecord => ({
  job: 'dl',
  partition: i % 3,
  eventId: `evt-${i}`,
  tsNs: 1_754_006_400_123_456_789n + BigInt(i),
  reason: i % 2 ? 'PERMANENT_SCHEMA' : 'PAYLOAD_TOO_LARGE',
  key: Buffer.from(`tenant-${i}`),
  payload: Buffer.from([0, 255, i, 10, 13]),
  schemaKey: 's:1',
  ...over,
});

const strip = ({ id: _i, createdAt: _c, retriedAt: _r, retryOutcome: _o, ...d }: StoredDeadLetter) => d;

export function deadLetterContract(name: string, open: () => Promise<StateStore>) {
  describe(`${name}: dead letters`, () => {
    it('round-trips every field (bytes, NULL id and time, raw row) across a reopen, ids ascending', async () => {
      const a = await open();
      const poison: DeadLetterRecord = {
        job: 'dl-rt',
        partition: 7,
        eventId: null,
        tsNs: null,
        reason: 'NULL_EVENT_ID',
        raw: { et: null, id: null, k: 'k', payload: '{"a": 1}', note: 'tab\there "q" é' },
      };
      const big = letter(1, { job: 'dl-rt', tsNs: 18_446_744_073_709_551_617n });
      expect(await a.putDeadLetters('dl-rt', [letter(0, { job: 'dl-rt' }), poison, big])).toBe(3);
      await a.close();
      const b = await open();
      const got = await b.listDeadLetters('dl-rt', { limit: 10 });
      expect(got.map(strip)).toEqual([letter(0, { job: 'dl-rt' }), poison, big]);
      expect(got.map((d) => d.id)).toEqual([...got.map((d) => d.id)].sort((x, y) => x - y));
      expect(new Set(got.map((d) => d.id)).size).toBe(3);
      expect(got[0]!.createdAt).toBeInstanceOf(Date);
      expect(got[0]!).toMatchObject({ retriedAt: null, retryOutcome: null });
      expect(await b.countDeadLetters('dl-rt')).toBe(3);
      expect(await b.countDeadLetters('nobody')).toBe(0);
      await b.close();
    });

    it('is idempotent: the same record again (a re-read poison row) is not stored twice', async () => {
      const s = await open();
      const batch = [letter(0, { job: 'dl-idem' }), letter(1, { job: 'dl-idem' })];
      expect(await s.putDeadLetters('dl-idem', batch)).toBe(2);
      expect(await s.putDeadLetters('dl-idem', [...batch, batch[0]!])).toBe(0);
      // Any difference is a different dead letter: reason, payload bytes, raw row.
      const other = [
        letter(0, { job: 'dl-idem', reason: 'FUTURE_SKEW' }),
        letter(0, { job: 'dl-idem', payload: Buffer.from([0, 255, 0, 10, 14]) }),
        letter(0, { job: 'dl-idem', raw: { a: null } }),
      ];
      expect(await s.putDeadLetters('dl-idem', [...other, other[0]!])).toBe(3);
      expect(await s.countDeadLetters('dl-idem')).toBe(5);
      // Another job keeps its own copy.
      expect(await s.putDeadLetters('dl-idem-2', batch)).toBe(2);
      await s.close();
    });

    it('lists by partition, reason, ids, after and limit', async () => {
      const s = await open();
      await s.putDeadLetters(
        'dl-q',
        Array.from({ length: 12 }, (_, i) => letter(i, { job: 'dl-q' })),
      );
      const all = await s.listDeadLetters('dl-q', { limit: 100 });
      expect(all.map((d) => d.eventId)).toEqual(Array.from({ length: 12 }, (_, i) => `evt-${i}`));
      const ids = all.map((d) => d.id);
      expect((await s.listDeadLetters('dl-q', { partition: 1, limit: 100 })).map((d) => d.eventId)).toEqual([
        'evt-1',
        'evt-4',
        'evt-7',
        'evt-10',
      ]);
      expect(
        (await s.listDeadLetters('dl-q', { partition: 1, reason: 'PERMANENT_SCHEMA', limit: 100 })).map(
          (d) => d.eventId,
        ),
      ).toEqual(['evt-1', 'evt-7']);
      expect(
        (await s.listDeadLetters('dl-q', { ids: [ids[3]!, ids[5]!, 999_999], limit: 100 })).map(
          (d) => d.eventId,
        ),
      ).toEqual(['evt-3', 'evt-5']);
      const page1 = await s.listDeadLetters('dl-q', { limit: 5 });
      const page2 = await s.listDeadLetters('dl-q', { limit: 5, after: page1[4]!.id });
      expect([...page1, ...page2].map((d) => d.eventId)).toEqual(all.slice(0, 10).map((d) => d.eventId));
      expect(await s.listDeadLetters('dl-q', { limit: 0 })).toEqual([]);
      await s.close();
    });

    it('marks retries with their outcome; the last mark wins and survives a reopen', async () => {
      const s = await open();
      await s.putDeadLetters('dl-m', [
        letter(0, { job: 'dl-m' }),
        letter(1, { job: 'dl-m' }),
        letter(2, { job: 'dl-m' }),
      ]);
      const [a, b, c] = await s.listDeadLetters('dl-m', { limit: 10 });
      await s.markDeadLettersRetried('dl-m', [a!.id, b!.id], 'PERMANENT_SCHEMA');
      await s.markDeadLettersRetried('dl-m', [b!.id], 'sent');
      await s.markDeadLettersRetried('dl-other', [c!.id], 'sent'); // another job's ids are untouched
      await s.close();
      const again = await open();
      const got = await again.listDeadLetters('dl-m', { limit: 10 });
      expect(got.map((d) => d.retryOutcome)).toEqual(['PERMANENT_SCHEMA', 'sent', null]);
      expect(got[0]!.retriedAt).toBeInstanceOf(Date);
      expect(got[2]!.retriedAt).toBeNull();
      await again.close();
    });

    it('concurrent puts from one process all land with distinct ids', async () => {
      const s = await open();
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => s.putDeadLetters('dl-c', [letter(i, { job: 'dl-c' })])),
      );
      const got = await s.listDeadLetters('dl-c', { limit: 100 });
      expect(got).toHaveLength(10);
      expect(new Set(got.map((d) => d.id)).size).toBe(10);
      await s.close();
    });
  });
}
