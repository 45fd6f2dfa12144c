import { HASH, xxh64StringInto } from '../hash64.js';
import type { Json, Monoid } from '../types.js';
import { badState, isRecord } from './common.js';

/**
 * HyperLogLog with p = 14 (m = 16384 registers) over xxHash64 of the value's UTF-8 bytes
 * (spec §8: HLL++ p=14). Dense registers only (the sparse representation is optional and left
 * out: a pane state is 16 KiB in memory). Registers: top 14 hash bits pick the register, the
 * value is 1 + leading zeros of the remaining 50 bits (1..51).
 *
 * Merge is register-wise max: exactly associative, commutative and idempotent, so states are
 * bit-identical for any order and split. Estimator: Ertl's "improved raw estimator" (2017,
 * arXiv:1702.01284), which needs no empirical bias tables and is unbiased from 0 up to far
 * beyond 10^9 with a 64-bit hash; it replaces HLL++'s bias-corrected raw estimate + linear
 * counting with one formula over the register histogram. Standard error ≈ 1.04/√m = 0.81 %.
 */
export const HLL_P = 14;
const M = 1 << HLL_P;
const Q = 64 - HLL_P; // 50
const ALPHA_INF = 1 / (2 * Math.LN2);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SPARSE_BELOW = 1024;

export function hllMonoid(): Monoid<Uint8Array, string, number> {
  const serialize = (s: Uint8Array): Json => {
    // Canonical: sparse list [index·64 + value] when fewer than 1024 registers are set,
    // else one base64url character per register (16384 chars). The choice depends on content only.
    let nonzero = 0;
    for (let i = 0; i < M; i++) if (s[i] !== 0) nonzero++;
    if (nonzero < SPARSE_BELOW) {
      const sparse: number[] = [];
      for (let i = 0; i < M; i++) if (s[i] !== 0) sparse.push(i * 64 + s[i]!);
      return { p: HLL_P, sparse };
    }
    let dense = '';
    for (let i = 0; i < M; i++) dense += ALPHABET[s[i]!];
    return { p: HLL_P, dense };
  };
  return {
    kind: 'distinct',
    identity: () => new Uint8Array(M),
    add: (s, x) => {
      xxh64StringInto(x);
      addHash(s, HASH[0]!, HASH[1]!);
      return s;
    },
    merge: (a, b) => {
      for (let i = 0; i < M; i++) if (b[i]! > a[i]!) a[i] = b[i]!;
      return a;
    },
    result: (s) => Math.round(hllEstimate(s)),
    serialize,
    deserialize: (v: Json) => {
      if (!isRecord(v) || v.p !== HLL_P) throw badState('hll', v);
      const s = new Uint8Array(M);
      if (Array.isArray(v.sparse)) {
        for (const e of v.sparse) {
          if (typeof e !== 'number' || e < 0 || e >= M * 64) throw badState('hll', v);
          s[Math.floor(e / 64)] = e % 64;
        }
      } else if (typeof v.dense === 'string' && v.dense.length === M) {
        for (let i = 0; i < M; i++) {
          const r = ALPHABET.indexOf(v.dense[i]!);
          if (r < 0 || r > Q + 1) throw badState('hll', v);
          s[i] = r;
        }
      } else {
        throw badState('hll', v);
      }
      return s;
    },
    equals: (a, b) => {
      for (let i = 0; i < M; i++) if (a[i] !== b[i]) return false;
      return true;
    },
  };
}

export function addHash(s: Uint8Array, hi: number, lo: number): void {
  const idx = hi >>> (32 - HLL_P);
  const rest = hi & ((1 << (32 - HLL_P)) - 1); // 18 bits
  const rho = rest !== 0 ? Math.clz32(rest) - HLL_P + 1 : lo !== 0 ? 32 - HLL_P + Math.clz32(lo) + 1 : Q + 1;
  if (rho > s[idx]!) s[idx] = rho;
}

/** Ertl's improved raw estimator over the register histogram. */
export function hllEstimate(s: Uint8Array): number {
  const c = new Array<number>(Q + 2).fill(0);
  for (let i = 0; i < M; i++) c[s[i]!]!++;
  let z = M * tau(1 - c[Q + 1]! / M);
  for (let k = Q; k >= 1; k--) {
    z += c[k]!;
    z *= 0.5;
  }
  z += M * sigma(c[0]! / M);
  return (ALPHA_INF * M * M) / z;
}

function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  let zPrev: number;
  do {
    x *= x;
    zPrev = z;
    z += x * y;
    y += y;
  } while (zPrev !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let zPrev: number;
  do {
    x = Math.sqrt(x);
    zPrev = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
  } while (zPrev !== z);
  return z / 3;
}
