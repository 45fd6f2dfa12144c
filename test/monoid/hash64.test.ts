import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xxh64 } from '../../src/monoid/hash64.js';

const MASK = 0xffffffffffffffffn;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & MASK;
const mul = (a: bigint, b: bigint): bigint => (a * b) & MASK;
const round = (acc: bigint, lane: bigint): bigint => mul(rotl((acc + mul(lane, P2)) & MASK, 31n), P1);
const mergeRound = (acc: bigint, v: bigint): bigint => (mul(acc ^ round(0n, v), P1) + P4) & MASK;

function readLE(b: Uint8Array, i: number, n: number): bigint {
  let v = 0n;
  for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[i + k]!);
  return v;
}

/** Straight transcription of the xxHash64 spec with BigInt (seed 0). */
function referenceXxh64(b: Uint8Array): bigint {
  const len = b.length;
  let i = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (P1 + P2) & MASK;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (0n - P1) & MASK;
    for (; i + 32 <= len; i += 32) {
      v1 = round(v1, readLE(b, i, 8));
      v2 = round(v2, readLE(b, i + 8, 8));
      v3 = round(v3, readLE(b, i + 16, 8));
      v4 = round(v4, readLE(b, i + 24, 8));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK;
    h = mergeRound(mergeRound(mergeRound(mergeRound(h, v1), v2), v3), v4);
  } else {
    h = P5;
  }
  h = (h + BigInt(len)) & MASK;
  for (; i + 8 <= len; i += 8) h = (mul(rotl(h ^ round(0n, readLE(b, i, 8)), 27n), P1) + P4) & MASK;
  if (i + 4 <= len) {
    h = (mul(rotl(h ^ mul(readLE(b, i, 4), P1), 23n), P2) + P3) & MASK;
    i += 4;
  }
  for (; i < len; i++) h = mul(rotl(h ^ mul(BigInt(b[i]!), P5), 11n), P1);
  h ^= h >> 33n;
  h = mul(h, P2);
  h ^= h >> 29n;
  h = mul(h, P3);
  h ^= h >> 32n;
  return h;
}

describe('xxHash64', () => {
  it('matches the published seed-0 vectors', () => {
    expect(xxh64('')).toBe(0xef46db3751d8e999n);
    expect(xxh64('a')).toBe(0xd24ec4f1a98c6e5bn);
    expect(xxh64('abc')).toBe(0x44bc2cf5ad770999n);
  });

  it('equals a BigInt transcription of the spec on arbitrary bytes (all length paths)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(xxh64(bytes)).toBe(referenceXxh64(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('hashes strings as their UTF-8 bytes, lone surrogates as U+FFFD (like TextEncoder)', () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        expect(xxh64(s)).toBe(referenceXxh64(enc.encode(s)));
      }),
      { numRuns: 500 },
    );
    expect(xxh64('\ud800x')).toBe(referenceXxh64(enc.encode('\ud800x')));
  });
});
