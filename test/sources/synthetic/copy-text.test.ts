import { describe, expect, it } from 'vitest';
import { escapeCopyText, formatTimestampUs } from '../../../src/sources/synthetic/copy-text.js';
import { fmix32, mulberry32 } from '../../../src/sources/synthetic/prng.js';

describe('COPY text helpers', () => {
  it('escapes exactly backslash, tab, newline and carriage return', () => {
    expect(escapeCopyText('plain {"a":"b"}')).toBe('plain {"a":"b"}');
    expect(escapeCopyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(escapeCopyText('"\\n" é')).toBe('"\\\\n" é');
  });

  it('formats µs timestamps exactly', () => {
    expect(formatTimestampUs(1_754_006_400_000_000)).toBe('2025-08-01T00:00:00.000000Z');
    expect(formatTimestampUs(1_754_006_400_123_456)).toBe('2025-08-01T00:00:00.123456Z');
    expect(formatTimestampUs(1_754_006_400_999_999)).toBe('2025-08-01T00:00:00.999999Z');
  });

  it('PRNGs are deterministic; fmix32 is injective on a sample', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const seen = new Set(Array.from({ length: 100_000 }, (_, i) => fmix32(i)));
    expect(seen.size).toBe(100_000);
  });
});
