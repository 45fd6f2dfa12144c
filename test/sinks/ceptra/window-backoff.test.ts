import { describe, expect, it } from 'vitest';
import {
  CreditWindow,
  expBackoffMs,
  hintBackoffMs,
  parseRetryAfter,
} from '../../../src/sinks/ceptra/index.js';
import { FakeClock } from './helpers.js';

function win(clock: FakeClock) {
  return new CreditWindow({
    initialEvents: 256,
    maxBytes: 10 * 1024 * 1024,
    growthFactor: 1.25,
    growthIntervalMs: 500,
    now: clock.now,
  });
}

describe('credit window', () => {
  it('starts at 256 events / 10 MiB and does not grow past 256 before a hint', () => {
    const c = new FakeClock();
    const w = win(c);
    expect(w.events()).toBe(256);
    expect(w.maxBytes).toBe(10 * 1024 * 1024);
    c.advance(10_000);
    w.onSuccess();
    expect(w.events()).toBe(256);
  });

  it('halves at once on a cut and never drops below 1', () => {
    const c = new FakeClock();
    const w = win(c);
    w.cut();
    expect(w.events()).toBe(128);
    for (let i = 0; i < 20; i++) w.cut();
    expect(w.events()).toBe(1);
  });

  it('cuts once for requests that were already in flight at the last cut', () => {
    const c = new FakeClock();
    const w = win(c);
    c.advance(10);
    const sentTogether = c.t;
    c.advance(5);
    expect(w.cut(sentTogether)).toBe(true);
    expect(w.cut(sentTogether)).toBe(false); // same congestion event
    expect(w.events()).toBe(128);
    c.advance(1);
    const sentAfter = c.t;
    c.advance(5);
    expect(w.cut(sentAfter)).toBe(true);
    expect(w.events()).toBe(64);
  });

  it('a smaller hint cuts at once; growth is at most ×1.25 per 500 ms up to the hint', () => {
    const c = new FakeClock();
    const w = win(c);
    w.onHint(1000);
    expect(w.events()).toBe(256);
    w.onHint(32);
    expect(w.events()).toBe(32);
    w.onHint(64);
    w.onSuccess(); // no time has passed since the cut
    expect(w.events()).toBe(32);
    c.advance(499);
    w.onSuccess();
    expect(w.events()).toBe(32);
    c.advance(1);
    w.onSuccess();
    expect(w.events()).toBe(40);
    w.onSuccess(); // same instant: no second step
    expect(w.events()).toBe(40);
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      c.advance(500);
      w.onSuccess();
      seen.push(w.events());
    }
    expect(seen).toEqual([50, 62, 64, 64, 64, 64]);
  });

  it('grows from 1 without exceeding ×1.25 per step', () => {
    const c = new FakeClock();
    const w = win(c);
    w.onHint(100);
    for (let i = 0; i < 10; i++) w.cut();
    let prev = 1;
    for (let i = 0; i < 40; i++) {
      c.advance(500);
      w.onSuccess();
      expect(w.events()).toBeLessThanOrEqual(Math.max(1, Math.floor(prev * 1.25)) + 1);
      expect(w.events()).toBeGreaterThanOrEqual(prev);
      prev = w.events();
    }
    expect(prev).toBe(100);
  });
});

describe('backoff', () => {
  it('hinted jitter is uniform in [b/2, b]; 25–50 ms without a hint or with 0', () => {
    for (const r of [0, 0.25, 0.5, 0.999999]) {
      const d = hintBackoffMs(60, () => r);
      expect(d).toBeGreaterThanOrEqual(30);
      expect(d).toBeLessThanOrEqual(60);
      for (const b of [null, 0]) {
        const x = hintBackoffMs(b, () => r);
        expect(x).toBeGreaterThanOrEqual(25);
        expect(x).toBeLessThanOrEqual(50);
      }
    }
    expect(hintBackoffMs(60, () => 0)).toBe(30);
    expect(hintBackoffMs(null, () => 1)).toBe(50);
  });

  it('exponential backoff uses full jitter under a cap', () => {
    expect(expBackoffMs(0, 50, 5000, () => 0.999)).toBeLessThan(50);
    expect(expBackoffMs(3, 50, 5000, () => 0.5)).toBe(200);
    expect(expBackoffMs(20, 50, 5000, () => 0.5)).toBe(2500);
    expect(expBackoffMs(5000, 50, 5000, () => 1)).toBe(5000);
    expect(expBackoffMs(4, 50, 5000, () => 0)).toBe(0);
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(' 0.5 ')).toBe(500);
    expect(parseRetryAfter(['3', '9'])).toBe(3000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter('-1')).toBeNull();
  });
});
