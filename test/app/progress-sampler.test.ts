import { describe, expect, it } from 'vitest';
import { ProgressSampler } from '../../src/app/index.js';

describe('progress sampler', () => {
  it('gives an ETA while events flow, and says stalled (no ETA) once nothing is acknowledged for a while', () => {
    let t = 0;
    const s = new ProgressSampler(10_000, 5_000, () => t);
    t += 1000;
    const flowing = s.sample(1000);
    expect(flowing.stalled).toBe(false);
    expect(flowing.eta).toBeCloseTo(9, 5);
    // One partition stuck for ten minutes: before, the smoothed rate decayed towards 0 and the ETA
    // went astronomical (3.5e+90 s). Now: stalled, and no number at all.
    let last = flowing;
    for (let i = 0; i < 600; i++) {
      t += 1000;
      last = s.sample(1000);
      if (i >= 5) {
        expect(last.stalled).toBe(true);
        expect(last.eta).toBeNull();
      }
    }
    expect(last.rate).toBe(0);
    expect(last.stalledMs).toBeGreaterThanOrEqual(600_000);
    // Progress again: not stalled, a finite ETA.
    t += 1000;
    const again = s.sample(2000);
    expect(again.stalled).toBe(false);
    expect(again.eta).not.toBeNull();
    expect(Number.isFinite(again.eta!)).toBe(true);
  });

  it('is not stalled when everything is done', () => {
    let t = 0;
    const s = new ProgressSampler(100, 1_000, () => t);
    t += 500;
    s.sample(100);
    for (let i = 0; i < 10; i++) {
      t += 500;
      const r = s.sample(100);
      expect(r.stalled).toBe(false);
      expect(r.eta).toBe(0);
    }
  });
});
