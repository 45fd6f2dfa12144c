import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDurationNs, parseDurationNs } from '../../src/config/duration.js';
import { formatNs, parseRfc3339Ns } from '../../src/config/time.js';

const ns = (text: string) => {
  const r = parseRfc3339Ns(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('RFC 3339 → bigint ns', () => {
  it('parses exactly, to the nanosecond, without going through Date', () => {
    expect(ns('2025-08-01T00:00:00Z')).toBe(1_754_006_400_000_000_000n);
    expect(ns('2025-08-01T00:00:00.123456789Z')).toBe(1_754_006_400_123_456_789n);
    expect(ns('2025-08-01T00:00:00.000001Z')).toBe(1_754_006_400_000_001_000n);
    expect(ns('2025-08-01T02:00:00.5+02:00')).toBe(1_754_006_400_500_000_000n);
    expect(ns('2025-07-31T19:30:00-04:30')).toBe(1_754_006_400_000_000_000n);
    expect(ns('1970-01-01T00:00:00Z')).toBe(0n);
    expect(ns('1969-12-31T23:59:59.999999999Z')).toBe(-1n);
    expect(ns('2024-02-29t12:00:00z')).toBe(ns('2024-02-29T12:00:00Z'));
  });

  it('agrees with Date on millisecond values', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_000_000_000_000, max: 25_000_000_000_000 }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(ns(iso)).toBe(BigInt(ms) * 1_000_000n);
        expect(ns(formatNs(BigInt(ms) * 1_000_000n))).toBe(BigInt(ms) * 1_000_000n);
      }),
    );
  });

  it('round-trips any nanosecond through formatNs', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n), max: 4n * 10n ** 18n }), (v) => {
        expect(ns(formatNs(v))).toBe(v);
      }),
    );
  });

  it('rejects malformed or impossible timestamps with a reason', () => {
    for (const bad of [
      '2025-08-01',
      '2025-08-01T00:00:00',
      '2025-08-01T00:00:00.1234567891Z',
      '2025-02-29T00:00:00Z',
      '2025-13-01T00:00:00Z',
      '2025-08-01T24:00:00Z',
      '2025-08-01T00:00:00+24:00',
    ]) {
      const r = parseRfc3339Ns(bad);
      expect(r.ok, bad).toBe(false);
    }
    const r = parseRfc3339Ns('2025-02-29T00:00:00Z');
    expect(r.ok === false && r.error).toContain('day 29 does not exist in 2025-02');
  });
});

describe('durations', () => {
  const d = (v: string | number) => {
    const r = parseDurationNs(v);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };
  it('parses units, combinations, decimals and plain milliseconds', () => {
    expect(d('30d')).toBe(30n * 86_400n * 10n ** 9n);
    expect(d('1h30m')).toBe(5_400n * 10n ** 9n);
    expect(d('250ms')).toBe(250_000_000n);
    expect(d('0s')).toBe(0n);
    expect(d('500us')).toBe(500_000n);
    expect(d('500µs')).toBe(500_000n);
    expect(d('7ns')).toBe(7n);
    expect(d('1.5s')).toBe(1_500_000_000n);
    expect(d(200)).toBe(200_000_000n);
    expect(d('200')).toBe(200_000_000n);
    expect(d(0.5)).toBe(500_000n);
  });
  it('rejects garbage and negative values', () => {
    for (const bad of ['', 'abc', '5x', '1h-2m', 'ms', '-5s'])
      expect(parseDurationNs(bad).ok, bad).toBe(false);
    expect(parseDurationNs(-1).ok).toBe(false);
    expect(parseDurationNs('0.5ns').ok).toBe(false);
  });
  it('formats compactly and round-trips', () => {
    expect(formatDurationNs(5_400n * 10n ** 9n)).toBe('1h30m');
    expect(formatDurationNs(0n)).toBe('0s');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 17n }), (v) => {
        expect(d(formatDurationNs(v))).toBe(v);
      }),
    );
  });
});
