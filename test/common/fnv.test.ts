import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnv1a64, partitionForKey } from '../../src/common/fnv.js';

function referenceFnv(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

describe('FNV-1a-64 routing (contract §1 test vectors)', () => {
  it('matches the contract vectors', () => {
    expect(fnv1a64('')).toBe(0xcbf29ce484222325n);
    expect(fnv1a64('a')).toBe(0xaf63dc4c8601ec8cn);
    expect(fnv1a64('tenant-42')).toBe(0x2944b77b49f24de2n);
    expect(fnv1a64('tenant-43')).toBe(0x2944b87b49f24f95n);
    expect(partitionForKey('tenant-42', 3)).toBe(1);
    expect(partitionForKey('tenant-43', 3)).toBe(2);
  });

  it('equals a BigInt reference on arbitrary bytes and partition counts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 4096 }), (bytes, n) => {
        const ref = referenceFnv(bytes);
        expect(fnv1a64(bytes)).toBe(ref);
        expect(partitionForKey(bytes, n)).toBe(Number(ref % BigInt(n)));
      }),
      { numRuns: 2000 },
    );
  });
});
