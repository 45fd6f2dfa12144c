import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdTable } from '../../src/sim/id-table.js';

/** The structures IdTable replaced: two FIFO maps (Map insertion order) and a Set. */
class Model {
  live = new Map<string, number>();
  replay = new Map<string, number>();
  applied = new Set<string>();
  constructor(public cap: number) {}
  remember(m: Map<string, number>, id: string, fp: number): void {
    if (this.cap === 0) return;
    m.set(id, fp);
    this.trim(m);
  }
  trim(m: Map<string, number>): void {
    while (m.size > this.cap) m.delete(m.keys().next().value as string);
  }
}

const Op = fc.oneof(
  fc.record({
    t: fc.constant('commit' as const),
    id: fc.integer({ min: 0, max: 12 }),
    fp: fc.integer({ min: 0, max: 2 }),
    replay: fc.boolean(),
  }),
  fc.record({
    t: fc.constant('live' as const),
    id: fc.integer({ min: 0, max: 12 }),
    fp: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({ t: fc.constant('apply' as const), drop: fc.boolean() }),
  fc.record({ t: fc.constant('cap' as const), cap: fc.integer({ min: 0, max: 5 }) }),
);

describe('IdTable', () => {
  it('behaves like a live FIFO map, a replay FIFO map and an applied-ids set', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.array(Op, { maxLength: 200 }), (cap, ops) => {
        const t = new IdTable(cap);
        const m = new Model(cap);
        const ring: [string, number][] = []; // committed, not yet applied: (id, slot)
        let twiceT = 0;
        let twiceM = 0;
        for (const op of ops) {
          if (op.t === 'commit') {
            const id = `e${op.id}`;
            const s = t.find(id);
            // the dedup verdict the ingest path computes, on both sides
            let prev = s < 0 ? -1 : t.liveFingerprint(s);
            if (prev < 0 && op.replay && s >= 0) prev = t.replayFingerprint(s);
            const want = m.live.get(id) ?? (op.replay ? m.replay.get(id) : undefined) ?? -1;
            expect(prev).toBe(want);
            if (prev >= 0) continue; // duplicate or divergent: not committed
            ring.push([id, t.commit(id, s, op.fp, op.replay)]);
            m.remember(op.replay ? m.replay : m.live, id, op.fp);
          } else if (op.t === 'live') {
            t.rememberLive(`e${op.id}`, op.fp);
            m.remember(m.live, `e${op.id}`, op.fp);
          } else if (op.t === 'apply') {
            const head = ring.shift();
            if (head === undefined) continue;
            if (!op.drop) {
              if (t.markApplied(head[1])) twiceT++;
              if (m.applied.has(head[0])) twiceM++;
              m.applied.add(head[0]);
            }
            t.release(head[1]);
          } else {
            t.setCapacity(op.cap);
            m.cap = op.cap;
            m.trim(m.live);
            m.trim(m.replay);
          }
          expect([t.liveSize, t.replaySize]).toEqual([m.live.size, m.replay.size]);
        }
        expect(twiceT).toBe(twiceM);
        for (let i = 0; i <= 12; i++) {
          const id = `e${i}`;
          const s = t.find(id);
          expect(s < 0 ? -1 : t.liveFingerprint(s)).toBe(m.live.get(id) ?? -1);
          expect(s < 0 ? -1 : t.replayFingerprint(s)).toBe(m.replay.get(id) ?? -1);
        }
        // nothing leaks: entries are windows ∪ pending ∪ applied
        const held = new Set([...m.live.keys(), ...m.replay.keys(), ...m.applied, ...ring.map((r) => r[0])]);
        expect(t.size).toBe(held.size);
      }),
      { numRuns: 300 },
    );
  });

  it('grows past its initial columns and reuses freed slots', () => {
    const t = new IdTable(10);
    for (let i = 0; i < 5000; i++) t.release(t.commit(`x${i}`, -1, i, true));
    expect([t.size, t.replaySize]).toEqual([10, 10]);
    const s = t.find('x4999');
    expect(t.replayFingerprint(s)).toBe(4999);
    expect(t.find('x0')).toBe(-1);
  });
});
