/**
 * Proleptic Gregorian calendar <-> day count (Howard Hinnant's algorithms), in plain numbers.
 * Used instead of Date: a JS Date keeps milliseconds, Postgres timestamps carry microseconds.
 */

/** Days since 1970-01-01 of year/month/day (astronomical year: 1 BC = 0). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): [y: number, m: number, d: number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

const NS_PER_SEC = 1_000_000_000n;
const SEC_PER_DAY = 86_400n;

/** Formats ns as RFC 3339 UTC with the fewest fractional digits that keep it exact. */
export function formatNs(ns: bigint): string {
  let secs = ns / NS_PER_SEC;
  let frac = ns % NS_PER_SEC;
  if (frac < 0n) {
    frac += NS_PER_SEC;
    secs -= 1n;
  }
  let days = secs / SEC_PER_DAY;
  let sod = secs % SEC_PER_DAY;
  if (sod < 0n) {
    sod += SEC_PER_DAY;
    days -= 1n;
  }
  const [y, mo, d] = civilFromDays(Number(days));
  const s = Number(sod);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const date = `${String(y).padStart(4, '0')}-${p2(mo)}-${p2(d)}`;
  const time = `${p2(Math.floor(s / 3600))}:${p2(Math.floor((s % 3600) / 60))}:${p2(s % 60)}`;
  const fracText = frac === 0n ? '' : `.${frac.toString().padStart(9, '0').replace(/0+$/, '')}`;
  return `${date}T${time}${fracText}Z`;
}
