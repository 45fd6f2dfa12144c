import { describe, expect, it } from 'vitest';
import {
  CreditWindow,
  expBackoffMs,
  hintBackoffMs,
  parseRetryAfter,
} from '../../../src/sinks/ceptra/index.js';

describe('credit window (the contract cap only: the flow controller decides how much to send)', () => {
  it('starts at 256 events / 10 MiB and follows each client_window_size at once, up or down', () => {
    const w = new CreditWindow({ initialEvents: 256, maxBytes: 10 * 1024 * 1024 });
    expect(w.events()).toBe(256);
    expect(w.maxBytes).toBe(10 * 1024 * 1024);
    w.onHint(5000);
    expect(w.events()).toBe(5000);
    w.onHint(40);
    expect(w.events()).toBe(40);
    w.onHint(0);
    expect(w.events()).toBe(1);
    w.onHint(12.7);
    expect(w.events()).toBe(12);
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
