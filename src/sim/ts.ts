/**
 * Event time as an exact (ms, sub-ms ns) pair. `ts_ns` exceeds 2^53, so a double would round it
 * by up to 256 ns and a BigInt per event costs an allocation; two doubles stay exact and cheap.
 */
export interface TsPair {
  ms: number;
  sub: number;
}

/** Parses a decimal string (or an integer number) of UTC nanoseconds into `out`; false if invalid. */
export function parseTsNs(v: unknown, out: TsPair): boolean {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) s = BigInt(v).toString();
  else return false;
  // Digit loop instead of regex + two slices + Number(): no allocation per event.
  const n = s.length;
  if (n === 0 || n > 20) return false;
  const split = n - 6;
  let ms = 0;
  let sub = 0;
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (i < split) ms = ms * 10 + d;
    else sub = sub * 10 + d;
  }
  out.ms = ms;
  out.sub = sub;
  return ms <= 18_446_744_073_709; // u64 range
}

export function formatTsNs(ms: number, sub: number): string {
  if (ms === 0) return String(sub);
  return String(ms) + String(sub).padStart(6, '0');
}

/** <0, 0, >0 like a comparator. */
export function compareTs(aMs: number, aSub: number, bMs: number, bSub: number): number {
  return aMs !== bMs ? aMs - bMs : aSub - bSub;
}

/** Wall clock as a TsPair; sub-ms part from the monotonic clock (only for ordering of live events). */
export function nowTs(out: TsPair): TsPair {
  const p = performance.timeOrigin + performance.now();
  out.ms = Math.floor(p);
  out.sub = Math.floor((p - out.ms) * 1e6);
  return out;
}
