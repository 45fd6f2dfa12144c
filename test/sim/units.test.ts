import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Fingerprint } from '../../src/sim/hash.js';
import { compareTs, formatTsNs, parseTsNs } from '../../src/sim/ts.js';

describe('sim building blocks', () => {
  it('base64Fingerprint accepts exactly standard padded base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        expect(base64Fingerprint(Buffer.from(b).toString('base64'))).toBeGreaterThanOrEqual(0);
      }),
    );
    for (const bad of ['a', 'ab$=', 'a===', '=abc', 'YQ-_', 'é123'])
      expect(base64Fingerprint(bad), bad).toBe(-1);
    expect(base64Fingerprint('QUJD')).not.toBe(base64Fingerprint('QUJE'));
  });

  it('parses ts_ns exactly and orders it like BigInt', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (a, b) => {
          const pa = { ms: 0, sub: 0 };
          const pb = { ms: 0, sub: 0 };
          expect(parseTsNs(a.toString(), pa)).toBe(true);
          expect(parseTsNs(b.toString(), pb)).toBe(true);
          expect(formatTsNs(pa.ms, pa.sub)).toBe(a.toString());
          expect(Math.sign(compareTs(pa.ms, pa.sub, pb.ms, pb.sub))).toBe(a < b ? -1 : a > b ? 1 : 0);
        },
      ),
    );
    const p = { ms: 0, sub: 0 };
    for (const bad of ['', '-1', '1.5', '12a', '123456789012345678901', 1.5, -3, null])
      expect(parseTsNs(bad, p), String(bad)).toBe(false);
  });
});
