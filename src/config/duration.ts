/**
 * Durations: `30d`, `1h30m`, `250ms`, `0s`, `500us`, `1.5s`; a plain number means milliseconds.
 * Parsed exactly to integer nanoseconds (bigint) with decimal arithmetic, never floats.
 */
import type { ParseResult } from './time.js';

const UNIT_NS = {
  d: 86_400_000_000_000n,
  h: 3_600_000_000_000n,
  m: 60_000_000_000n,
  s: 1_000_000_000n,
  ms: 1_000_000n,
  us: 1_000n,
  µs: 1_000n,
  ns: 1n,
} as const;
type Unit = keyof typeof UNIT_NS;

const PART = /(\d+(?:\.\d+)?)(ms|us|µs|ns|d|h|m|s)/y;
export const DURATION_PATTERN = '^(\\d+(\\.\\d+)?(d|h|m|s|ms|us|µs|ns))+$|^\\d+(\\.\\d+)?$';

/** `int.frac` × unit, exact; error when the result is not a whole number of ns. */
function decimalTimes(text: string, unitNs: bigint): bigint | null {
  const [int, frac = ''] = text.split('.') as [string, string?];
  const scale = 10n ** BigInt(frac.length);
  const num = BigInt(int + frac) * unitNs;
  return num % scale === 0n ? num / scale : null;
}

export function parseDurationNs(value: string | number): ParseResult<bigint> {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const hint = 'expected a duration like 30d, 1h30m, 250ms, 500us or a number of milliseconds';
  if (typeof value === 'number' && (!Number.isFinite(value) || value < 0)) {
    return { ok: false, error: `${hint} (negative or non-finite numbers are not durations)` };
  }
  if (/^\d+(\.\d+)?$/.test(text)) {
    const ns = decimalTimes(text, UNIT_NS.ms);
    return ns === null ? { ok: false, error: 'is finer than 1 ns' } : { ok: true, value: ns };
  }
  if (text === '') return { ok: false, error: hint };
  let total = 0n;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (!m) return { ok: false, error: hint };
    const ns = decimalTimes(m[1]!, UNIT_NS[m[2] as Unit]);
    if (ns === null) return { ok: false, error: 'is finer than 1 ns' };
    total += ns;
  }
  return { ok: true, value: total };
}

/** Compact human form: 90_000_000_000n → `1m30s`; used in messages and warnings. */
export function formatDurationNs(ns: bigint): string {
  if (ns === 0n) return '0s';
  let rest = ns;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms', 'us', 'ns'] as const) {
    const size = UNIT_NS[unit];
    if (rest >= size) {
      out += `${rest / size}${unit}`;
      rest %= size;
    }
  }
  return out;
}
