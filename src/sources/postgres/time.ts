/**
 * Exact event-time codecs: Postgres text form <-> bigint nanoseconds, and nanoseconds -> SQL literal
 * in the column's native type (for windows and resume positions). Never a JS Date (milliseconds only).
 * Sessions run with TimeZone=UTC and DateStyle=ISO (set on every pooled connection), so timestamptz
 * text is `YYYY-MM-DD HH:MM:SS[.ffffff]+00[ BC]`; `timestamp` columns are read as UTC.
 */

import { civilFromDays, daysFromCivil } from '../../common/civil.js';
import { unreachable } from '../../common/errors.js';
import type { EventTimeUnit } from './options.js';

export type Rounding = 'floor' | 'ceil';

export interface TimeCodec {
  /** SQL type the bound values are cast to (a base type, no typmod). */
  readonly sqlType: string;
  /** Text form (as COPY / raw text parser deliver it) -> ns. */
  parse(text: string): bigint;
  /** ns -> literal text in the native type; `exact` false when ns falls between two representable values. */
  format(ns: bigint, rounding: Rounding): { text: string; exact: boolean };
}

const NS_PER: Record<EventTimeUnit, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };

function divRound(n: bigint, d: bigint, rounding: Rounding): bigint {
  let q = n / d; // truncates toward zero
  const r = n % d;
  if (r !== 0n) {
    if (rounding === 'floor' && n < 0n) q -= 1n;
    if (rounding === 'ceil' && n > 0n) q += 1n;
  }
  return q;
}

const num = (s: string, a: number, b: number): number => {
  let v = 0;
  for (let i = a; i < b; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return v;
};

/** Parse ISO timestamp text (with or without a UTC offset) to ns. Hot path: fixed offsets, no regex. */
export function parsePgTimestamp(text: string): bigint {
  let s = text;
  const bc = s.endsWith(' BC');
  if (bc) s = s.slice(0, -3);
  const dash = s.indexOf('-', 1); // years may have more than 4 digits
  if (dash < 0)
    throw new RangeError(`cannot use timestamp ${JSON.stringify(text)} (infinity or unexpected form)`);
  let year = num(s, 0, dash);
  if (bc) year = 1 - year;
  const p = dash + 7; // after '-MM-DD '
  let secs =
    daysFromCivil(year, num(s, dash + 1, dash + 3), num(s, dash + 4, dash + 6)) * 86400 +
    num(s, p, p + 2) * 3600 +
    num(s, p + 3, p + 5) * 60 +
    num(s, p + 6, p + 8);
  let i = p + 8;
  let micros = 0;
  if (s.charCodeAt(i) === 46 /* . */) {
    let digits = 0;
    i++;
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) {
      if (digits < 6) micros = micros * 10 + (s.charCodeAt(i) - 48);
      digits++;
      i++;
    }
    for (; digits < 6; digits++) micros *= 10;
  }
  const sign = s.charCodeAt(i);
  if (sign === 43 /* + */ || sign === 45 /* - */) {
    let off = num(s, i + 1, i + 3) * 3600;
    if (s.charCodeAt(i + 3) === 58) off += num(s, i + 4, i + 6) * 60;
    if (s.charCodeAt(i + 6) === 58) off += num(s, i + 7, i + 9);
    secs -= sign === 43 ? off : -off;
  }
  // Fast path: secs * 1e6 + micros is exact as a double while |µs| < 2^53 (years ~1685..2255).
  if (secs > -9e9 && secs < 9e9) return BigInt(secs * 1_000_000 + micros) * 1000n;
  return BigInt(secs) * 1_000_000_000n + BigInt(micros * 1000);
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** ns (already on the µs grid) -> `YYYY-MM-DD HH:MM:SS.ffffff[+00][ BC]`. */
export function formatPgTimestamp(us: bigint, withZone: boolean): string {
  const days = Number(divRound(us, 86_400_000_000n, 'floor'));
  const rest = Number(us - BigInt(days) * 86_400_000_000n); // 0 .. 86_399_999_999
  const [y, m, d] = civilFromDays(days);
  const sec = Math.floor(rest / 1_000_000);
  const clock = `${pad(Math.floor(sec / 3600), 2)}:${pad(Math.floor(sec / 60) % 60, 2)}:${pad(sec % 60, 2)}`;
  const body = `${pad(y <= 0 ? 1 - y : y, 4)}-${pad(m, 2)}-${pad(d, 2)} ${clock}.${pad(rest % 1_000_000, 6)}`;
  return `${body}${withZone ? '+00' : ''}${y <= 0 ? ' BC' : ''}`;
}

function timestampCodec(withZone: boolean): TimeCodec {
  return {
    sqlType: withZone ? 'timestamptz' : 'timestamp',
    parse: parsePgTimestamp,
    format(ns, rounding) {
      const us = divRound(ns, 1000n, rounding);
      return { text: formatPgTimestamp(us, withZone), exact: us * 1000n === ns };
    },
  };
}

function integerEpochCodec(unit: EventTimeUnit): TimeCodec {
  const f = NS_PER[unit];
  return {
    sqlType: 'int8',
    parse: (text) => BigInt(text) * f,
    format(ns, rounding) {
      const v = divRound(ns, f, rounding);
      return { text: v.toString(), exact: v * f === ns };
    },
  };
}

/** numeric epochs may carry fractions ("1700000000.123456" seconds): exact decimal arithmetic. */
function numericEpochCodec(unit: EventTimeUnit): TimeCodec {
  const f = NS_PER[unit];
  const scale = f.toString().length - 1; // decimal digits of ns inside one unit
  return {
    sqlType: 'numeric',
    parse(text) {
      const neg = text.startsWith('-');
      const body = neg ? text.slice(1) : text;
      const dot = body.indexOf('.');
      const int = dot < 0 ? body : body.slice(0, dot);
      const frac = dot < 0 ? '' : body.slice(dot + 1);
      const fracNs = scale === 0 ? 0n : BigInt(frac.slice(0, scale).padEnd(scale, '0'));
      let v = BigInt(int || '0') * f + fracNs;
      // Sub-nanosecond digits are dropped toward -infinity (floor) so ordering stays monotone.
      if (neg) v = -v - (frac.length > scale && /[1-9]/.test(frac.slice(scale)) ? 1n : 0n);
      return v;
    },
    format(ns) {
      const neg = ns < 0n;
      const a = neg ? -ns : ns;
      const int = (a / f).toString();
      const frac = scale === 0 ? '' : (a % f).toString().padStart(scale, '0');
      return { text: `${neg ? '-' : ''}${int}${scale === 0 ? '' : `.${frac}`}`, exact: true };
    },
  };
}

export type TimeKind = 'timestamptz' | 'timestamp' | 'integer' | 'numeric';

export function timeCodec(kind: TimeKind, unit: EventTimeUnit | undefined): TimeCodec {
  switch (kind) {
    case 'timestamptz':
      return timestampCodec(true);
    case 'timestamp':
      return timestampCodec(false);
    case 'integer':
      return integerEpochCodec(unit ?? 'ns');
    case 'numeric':
      return numericEpochCodec(unit ?? 'ns');
    default: {
      return unreachable(kind, 'time kind');
    }
  }
}
