/** The verified time seek and the token's encoding (pure). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayError } from '../../../src/common/errors.js';
import {
  decodeToken,
  encodeToken,
  restartOf,
  SEEK_GUARD_RECORDS,
  type TimeProbe,
  verifiedSeek,
} from '../../../src/sources/kafka/index.js';

/** A tp as offsets → time (null: no record at that offset, or a record without a time). */
function probeOf(times: (number | null)[], reads: { n: number } = { n: 0 }): TimeProbe {
  return {
    async at(offset) {
      reads.n++;
      for (let o = Math.max(0, offset); o < times.length; o++) {
        const t = times[o];
        if (t !== null && t !== undefined) return { offset: o, tsNs: BigInt(t) };
      }
      return null;
    },
    async range(from, to) {
      reads.n++;
      const out = [];
      for (let o = Math.max(0, from); o < Math.min(to, times.length); o++) {
        const t = times[o];
        if (t !== null && t !== undefined) out.push({ offset: o, tsNs: BigInt(t) });
      }
      return out;
    },
  };
}

/**
 * The seek's contract: the timed records among the SEEK_GUARD_RECORDS offsets before it are older
 * than T, the first timed record at or after it is not.
 */
function holds(times: (number | null)[], t: number, at: number, low = 0): boolean {
  const before = times
    .slice(Math.max(low, at - SEEK_GUARD_RECORDS), at)
    .filter((x): x is number => x !== null);
  const after = times.slice(at).find((x): x is number => x !== null);
  return before.every((x) => x < t) && (after === undefined || after >= t);
}

describe('verifiedSeek', () => {
  it('accepts a right candidate with two reads, then the guard reads the records before it', async () => {
    const times = [1, 2, 3, 5, 8, 13];
    const reads = { n: 0 };
    expect(await verifiedSeek(5n, 0, 6, 3, probeOf(times, reads))).toEqual({
      offset: 3,
      verified: true,
      probes: 3,
    });
    expect(reads.n).toBe(3); // the candidate, the record before it, the guard's range
  });

  it('a record far behind its neighbours just before the window does not hide the records before it', async () => {
    // Offsets 4..7 are at or after T = 10; offset 8 is a late record (3), then the clock goes on.
    const times = [1, 2, 3, 5, 10, 11, 12, 13, 3, 14, 15, 16];
    // Without the guard the search stops at 9 (8 < T ≤ 9) and 4..7 are never read.
    const r = await verifiedSeek(10n, 0, times.length, null, probeOf(times));
    expect(r.offset).toBe(4);
    expect(r.verified).toBe(false);
    // A broker's candidate right after the late record is moved back too.
    expect((await verifiedSeek(10n, 0, times.length, 9, probeOf(times))).offset).toBe(4);
  });

  it("searches when the candidate is wrong (the mock's high watermark for any time)", async () => {
    const times = [1, 2, 3, 5, 8, 13];
    const r = await verifiedSeek(4n, 0, 6, 6, probeOf(times));
    expect(r).toMatchObject({ offset: 3, verified: false });
    expect(await verifiedSeek(0n, 0, 6, 6, probeOf(times))).toMatchObject({ offset: 0 });
    expect(await verifiedSeek(99n, 0, 6, 6, probeOf(times))).toMatchObject({ offset: 6, verified: true });
    expect(await verifiedSeek(5n, 0, 0, 0, probeOf([]))).toMatchObject({ offset: 0 });
  });

  it('gaps and records without a time make the check inconclusive, never wrong', async () => {
    const times = [1, null, null, 5, null, 8];
    expect(await verifiedSeek(4n, 0, 6, 3, probeOf(times))).toMatchObject({ offset: 1, verified: false });
    expect(holds(times, 4, 1)).toBe(true);
  });

  it('property: the answer always satisfies the check, in ~log2(n) reads; sorted data gives the first ≥ T', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.option(fc.integer({ min: 0, max: 60 }), { freq: 6 }), { maxLength: 200 }),
        fc.integer({ min: -5, max: 65 }),
        fc.option(fc.nat({ max: 210 })),
        async (times, t, cand) => {
          const r = await verifiedSeek(BigInt(t), 0, times.length, cand, probeOf(times));
          expect(holds(times, t, r.offset)).toBe(true);
          const sorted = [...times].filter((x): x is number => x !== null).sort((a, b) => a - b);
          const reads = { n: 0 };
          const s = await verifiedSeek(BigInt(t), 0, sorted.length, null, probeOf(sorted, reads));
          const first = sorted.findIndex((x) => x >= t);
          expect(s.offset).toBe(first < 0 ? sorted.length : first);
          expect(s.probes).toBeLessThanOrEqual(2 + Math.ceil(Math.log2(sorted.length + 1)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('verifiedSeek with late records', () => {
  it('property: in-order data with isolated records far behind: no in-order record at or after T is before the seek', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 300 }),
        fc.array(fc.nat({ max: 299 }), { maxLength: 12 }),
        fc.integer({ min: 0, max: 500 }),
        fc.option(fc.nat({ max: 300 })),
        async (steps, lateAt, t, cand) => {
          let clock = 0;
          const times: number[] = steps.map((d) => (clock += d));
          const late = new Set(lateAt.filter((i) => i < times.length && !lateAt.includes(i - 1)));
          for (const i of late) times[i] = Math.max(0, times[i]! - 1000);
          const r = await verifiedSeek(BigInt(t), 0, times.length, cand, probeOf(times));
          const lost = times.slice(0, r.offset).filter((x, i) => !late.has(i) && x >= t);
          expect(lost).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('resume token', () => {
  const w = { startNs: 10n, endNs: 20n };
  const tps = [
    { topic: 'a', partition: 0 },
    { topic: 'a', partition: 2 },
    { topic: 'b', partition: 0 },
  ];

  it('round-trips, with sent offsets as runs and unknown maxBefore as "?"', () => {
    const text = encodeToken(w, { tsNs: 12n, eventId: 'x' }, null, tps, [
      { from: 4, maxBefore: 15n, end: 9, sent: [5, 6, 7, 9] },
      { from: 0, maxBefore: null, end: 0, sent: [] },
      { from: 3, maxBefore: undefined, end: 5, sent: [] },
    ]);
    const j = JSON.parse(text);
    expect(j.t.a).toEqual([[4, '15', 9, [5, 3, 9, 1]], null, [0, null, 0, []]]);
    expect(j.t.b).toEqual([[3, '?', 5, []]]);
    const back = decodeToken(text);
    expect(back.window).toEqual(w);
    expect(back.frontier).toEqual({ tsNs: 12n, eventId: 'x' });
    expect(back.ooo).toBeNull();
    expect(back.tps.get('a')!.get(0)).toEqual({ from: 4, maxBefore: 15n, end: 9, sent: [5, 6, 7, 9] });
    expect(back.tps.get('a')!.has(1)).toBe(false);
    expect(back.tps.get('b')!.get(0)!.maxBefore).toBeUndefined();
  });

  it('restartOf: a token of another window is ignored, its position still skips; garbage is STATE_CORRUPT', () => {
    const token = encodeToken(
      { startNs: 0n, endNs: 10n },
      null,
      null,
      tps,
      tps.map(() => ({ from: 7, maxBefore: null, end: 8, sent: [] })),
    );
    const s = restartOf({ tsNs: 5n, eventId: 'e', resume: token }, w, tps, [1, 2, 3], [4, 5, 6]);
    expect(s.from).toEqual([1, 2, 3]);
    expect(s.end).toEqual([4, 5, 6]);
    expect(s.threshold).toEqual({ tsNs: 5n, eventId: 'e' });
    expect(() =>
      restartOf({ tsNs: 5n, eventId: 'e', resume: '{"v":2}' }, w, tps, [1, 2, 3], [4, 5, 6]),
    ).toThrow(ReplayError);
    try {
      decodeToken('nope');
    } catch (e) {
      expect((e as ReplayError).code).toBe('STATE_CORRUPT');
      expect((e as Error).message).toMatch(/--restart/);
    }
  });
});
