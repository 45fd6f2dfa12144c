/**
 * RFC 3339 timestamps ↔ integer nanoseconds since the Unix epoch, exactly.
 *
 * Never goes through `Date`: a JS Date keeps milliseconds only, which would truncate the µs/ns
 * that Postgres and CEPtra carry and silently move a window boundary (or a resume cursor).
 */
import { daysFromCivil } from '../common/civil.js';

export { formatNs } from '../common/civil.js';

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const NS_PER_SEC = 1_000_000_000n;
const SEC_PER_DAY = 86_400n;

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parses `2025-08-01T00:00:00.123456789+02:00` exactly; the error says what is wrong. */
export function parseRfc3339Ns(text: string): ParseResult<bigint> {
  const m = RFC3339.exec(text.trim());
  if (!m) {
    return {
      ok: false,
      error: 'expected an RFC 3339 timestamp like 2025-08-01T00:00:00Z or 2025-08-01T02:00:00.5+02:00',
    };
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12) return { ok: false, error: `month ${month} is out of range 01-12` };
  if (day < 1 || day > daysInMonth(year, month)) {
    return { ok: false, error: `day ${day} does not exist in ${year}-${String(month).padStart(2, '0')}` };
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return {
      ok: false,
      error: 'time of day is out of range (00:00:00-23:59:59; leap seconds are not supported)',
    };
  }
  let offsetSec = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59)
      return { ok: false, error: `UTC offset ${m[9]}${m[10]}:${m[11]} is out of range` };
    offsetSec = (m[9] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const frac = m[7] === undefined ? 0n : BigInt(m[7].padEnd(9, '0'));
  const days = BigInt(daysFromCivil(year, month, day));
  const secs = days * SEC_PER_DAY + BigInt(hour * 3600 + minute * 60 + second - offsetSec);
  return { ok: true, value: secs * NS_PER_SEC + frac };
}
