import { MonoidError, MonoidErrorCode } from './errors.js';

/**
 * Exact accumulator for sums of doubles: the state holds the mathematically exact sum, so
 * `merge` is exactly associative and commutative and the result (the exact sum rounded once,
 * to nearest-even) is bit-identical for any order and any split into batches or workers.
 *
 * Representation: every finite double is an integer multiple of 2^-1074, so the sum is an
 * integer N scaled by 2^-1074. N is kept as 68 signed "bins" of 32 bits (2176 bits: 2098 for
 * the double range + headroom for 2^53 additions), each bin a double holding an integer:
 * value = Σ bins[i]·2^(32i−1074). A double's 53-bit mantissa lands in at most 3 bins, so `add`
 * is a few exact float ops and no allocation; bins stay below 2^53 because carries are
 * propagated every 2^20 additions (each add moves a bin by < 2^32).
 * Fast path: integer inputs whose running sum stays a safe integer go to a plain number
 * (`int`), which is exact too (payload byte counts never leave it).
 *
 * Specials: +Inf, -Inf and NaN are tracked as flags (+Inf with -Inf gives NaN), which is what
 * any IEEE summation order produces. An exact zero sum is +0.
 */
const NBINS = 68;
const TWO32 = 4294967296;
const NORMALIZE_EVERY = 1 << 20;
const POW2: number[] = Array.from({ length: 32 }, (_, i) => 2 ** i);
const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE ? 1 : 0;
const LO = LITTLE ? 0 : 1;

export const Special = { None: 0, PosInf: 1, NegInf: 2, NaN: 3 } as const;
export type Special = (typeof Special)[keyof typeof Special];

export class ExactSum {
  /** Exact integer part, |int| ≤ 2^53 − 1. */
  int = 0;
  /** Lazily allocated: most sums (counts, byte totals) never need them. */
  bins: Float64Array | null = null;
  pending = 0;
  special: Special = Special.None;

  add(x: number): this {
    if (Number.isInteger(x)) {
      const t = this.int + x;
      // |t| ≤ 2^53−1 implies t is the exact sum (the true sum is an integer, rounding is monotone).
      if (t <= Number.MAX_SAFE_INTEGER && t >= -Number.MAX_SAFE_INTEGER) {
        this.int = t;
        return this;
      }
    }
    this.addToBins(x);
    return this;
  }

  /** Adds b into this. b's value is unchanged (its bins may be carry-normalized in place). */
  merge(b: ExactSum): this {
    this.special = (this.special | b.special) as Special;
    if (b.bins !== null) {
      b.normalize();
      const bb = b.bins;
      const ab = this.ensureBins();
      this.normalize();
      // Both normalized: bins < 2^32 (top bin small and signed), so the sums stay exact.
      for (let i = 0; i < NBINS; i++) ab[i] = ab[i]! + bb[i]!;
      this.normalize();
    }
    this.add(b.int);
    return this;
  }

  private ensureBins(): Float64Array {
    if (this.bins === null) this.bins = new Float64Array(NBINS);
    return this.bins;
  }

  private addToBins(x: number): void {
    scratch[0] = x;
    const hi = words[HI]!;
    const lo = words[LO]!;
    const exp = (hi >>> 20) & 0x7ff;
    if (exp === 0x7ff) {
      const s = Number.isNaN(x) ? Special.NaN : x > 0 ? Special.PosInf : Special.NegInf;
      this.special = (this.special | s) as Special;
      return;
    }
    if (x === 0) return;
    let mHi = hi & 0xfffff;
    let p = 0; // bit position of the mantissa's lsb in N (= exponent + 1074)
    if (exp !== 0) {
      mHi |= 0x100000;
      p = exp - 1;
    }
    const i = p >>> 5;
    const scale = POW2[p & 31]!;
    const lowPart = lo * scale; // ≤ 32 significant bits: exact
    const c0 = lowPart % TWO32;
    const c1full = mHi * scale + (lowPart - c0) / TWO32; // < 2^53: exact
    const c1 = c1full % TWO32;
    const c2 = (c1full - c1) / TWO32;
    const b = this.ensureBins();
    if (hi >>> 31) {
      b[i] = b[i]! - c0;
      b[i + 1] = b[i + 1]! - c1;
      b[i + 2] = b[i + 2]! - c2;
    } else {
      b[i] = b[i]! + c0;
      b[i + 1] = b[i + 1]! + c1;
      b[i + 2] = b[i + 2]! + c2;
    }
    if (++this.pending >= NORMALIZE_EVERY) this.normalize();
  }

  /** Carry-propagates so bins 0..66 lie in [0, 2^32) and the top bin holds the sign. */
  normalize(): void {
    const b = this.bins;
    this.pending = 0;
    if (b === null) return;
    let carry = 0;
    for (let i = 0; i < NBINS - 1; i++) {
      const v = b[i]! + carry;
      carry = Math.floor(v / TWO32);
      b[i] = v - carry * TWO32;
    }
    b[NBINS - 1] = b[NBINS - 1]! + carry;
  }

  /** The exact finite part as the integer N (value = N·2^-1074). */
  scaled(): bigint {
    let n = BigInt(this.int) << 1074n;
    const b = this.bins;
    if (b !== null) {
      this.normalize();
      let acc = 0n;
      for (let i = NBINS - 1; i >= 0; i--) acc = (acc << 32n) + BigInt(b[i]!);
      n += acc;
    }
    return n;
  }

  /** The exact sum rounded once to the nearest double (ties to even). */
  result(): number {
    switch (this.special) {
      case Special.None:
        break;
      case Special.PosInf:
        return Number.POSITIVE_INFINITY;
      case Special.NegInf:
        return Number.NEGATIVE_INFINITY;
      case Special.NaN:
        return Number.NaN;
      default: {
        const never: never = this.special;
        return never;
      }
    }
    if (this.bins === null) return this.int + 0;
    return roundScaled(this.scaled());
  }

  /**
   * Canonical text: `NaN` | `+Inf` | `-Inf` | `0` | `<odd hex mantissa>p<binary exponent>`,
   * e.g. 12345 → `3039p0`, 0.5 → `1p-1`, -3 → `-3p0`. Unique per exact value.
   */
  serialize(): string {
    switch (this.special) {
      case Special.None:
        break;
      case Special.PosInf:
        return '+Inf';
      case Special.NegInf:
        return '-Inf';
      case Special.NaN:
        return 'NaN';
      default: {
        const never: never = this.special;
        return never;
      }
    }
    if (this.bins === null) return this.int === 0 ? '0' : intText(this.int);
    let n = this.scaled();
    if (n === 0n) return '0';
    const neg = n < 0n;
    if (neg) n = -n;
    let e = -1074;
    while ((n & 0xffffffffn) === 0n) {
      n >>= 32n;
      e += 32;
    }
    while ((n & 1n) === 0n) {
      n >>= 1n;
      e += 1;
    }
    return `${neg ? '-' : ''}${n.toString(16)}p${e}`;
  }

  static deserialize(text: string): ExactSum {
    const s = new ExactSum();
    if (text === 'NaN') s.special = Special.NaN;
    else if (text === '+Inf') s.special = Special.PosInf;
    else if (text === '-Inf') s.special = Special.NegInf;
    else if (text !== '0') {
      const m = /^(-?)([0-9a-f]+)p(-?\d+)$/.exec(text);
      const e = m === null ? Number.NaN : Number(m[3]);
      if (m === null || e < -1074 || e > 2200) {
        throw new MonoidError(MonoidErrorCode.BadState, `bad exact sum text ${JSON.stringify(text)}`);
      }
      let n = BigInt(`0x${m[2]}`) << BigInt(e + 1074);
      if (m[1] === '-') n = -n;
      s.setScaled(n);
    }
    return s;
  }

  private setScaled(n: bigint): void {
    const b = this.ensureBins();
    const neg = n < 0n;
    let m = neg ? -n : n;
    for (let i = 0; i < NBINS && m !== 0n; i++) {
      const w = Number(m & 0xffffffffn);
      b[i] = neg ? -w : w;
      m >>= 32n;
    }
    this.normalize();
  }
}

function intText(x: number): string {
  // Same canonical text as the bin path: odd mantissa, binary exponent.
  let m = Math.abs(x);
  let e = 0;
  while (m % 2 === 0) {
    m /= 2;
    e++;
  }
  return `${x < 0 ? '-' : ''}${m.toString(16)}p${e}`;
}

/** Rounds N·2^-1074 to the nearest double, ties to even (N exact, any size). */
export function roundScaled(n: bigint): number {
  if (n === 0n) return 0;
  const neg = n < 0n;
  let m = neg ? -n : n;
  const bits = m.toString(2).length;
  let shift = 0;
  if (bits > 64) {
    // Keep 64 bits and fold the rest into a sticky lsb ("round to odd"): rounding that 64-bit
    // value to 53 bits gives the same double as rounding N directly (64 ≥ 53 + 2).
    shift = bits - 64;
    const sticky = (m & ((1n << BigInt(shift)) - 1n)) !== 0n;
    m = (m >> BigInt(shift)) | (sticky ? 1n : 0n);
  }
  // Number(bigint) rounds to nearest-even. With ≤ 53 bits it is exact and the result below is a
  // representable multiple of 2^-1074; with more, the result is normal, so scaling is exact.
  const v = Number(m);
  const r = ldexp(v, shift - 1074);
  return neg ? -r : r;
}

function ldexp(v: number, e: number): number {
  const half = Math.trunc(e / 2);
  // Two exact power-of-two steps so neither factor over/underflows on its own.
  return v * 2 ** half * 2 ** (e - half);
}
