/** Pure figures over sampled series: percentiles, rates, recovery times. */

/** Nearest-rank percentile (q in [0, 1]); NaN for an empty input. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = Float64Array.from(values).sort();
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i]!;
}

/** A cumulative counter sampled over time: [tMs, count]. */
export type Counter = readonly (readonly [number, number])[];

/**
 * Rate (per second) over a trailing window: for each sample, (count − count at ≥ windowMs before) / Δt.
 * Samples closer than the window to the first one use the first sample as base.
 */
export function windowRate(c: Counter, windowMs: number): [number, number][] {
  const out: [number, number][] = [];
  let j = 0;
  for (let i = 1; i < c.length; i++) {
    const [t, n] = c[i]!;
    while (j + 1 < i && c[j + 1]![0] <= t - windowMs) j++;
    const [t0, n0] = c[j]!;
    if (t > t0) out.push([t, ((n - n0) * 1000) / (t - t0)]);
  }
  return out;
}

/**
 * Time (ms) after `fromMs` until the series is at/below `limit` for good within [fromMs, untilMs):
 * the time of the first sample after the last one above the limit; 0 if none was above; null if
 * it was still above at the end of the span.
 */
export function settleBelow(series: Counter, fromMs: number, untilMs: number, limit: number): number | null {
  const span = series.filter(([t]) => t >= fromMs && t < untilMs);
  let lastAbove = -1;
  for (let i = 0; i < span.length; i++) if (span[i]![1] > limit) lastAbove = i;
  if (lastAbove === -1) return 0;
  if (lastAbove === span.length - 1) return null;
  return span[lastAbove + 1]![0] - fromMs;
}

/**
 * Time (ms) after `fromMs` until the series is first back under `limit` after its first excursion
 * above it (0 if it never went above; null if it never came back before `untilMs`).
 */
export function firstBackBelow(
  series: Counter,
  fromMs: number,
  untilMs: number,
  limit: number,
): number | null {
  const span = series.filter(([t]) => t >= fromMs && t < untilMs);
  const up = span.findIndex(([, v]) => v > limit);
  if (up === -1) return 0;
  const down = span.findIndex(([, v], i) => i > up && v <= limit);
  return down === -1 ? null : span[down]![0] - fromMs;
}

/** Share of the time within [fromMs, untilMs) the series spent above `limit` (sample-weighted). */
export function shareAbove(series: Counter, fromMs: number, untilMs: number, limit: number): number {
  const span = series.filter(([t]) => t >= fromMs && t < untilMs);
  return span.length === 0 ? 0 : span.filter(([, v]) => v > limit).length / span.length;
}

/** Time (ms) after `fromMs` until the series first reaches `level` (null if it never does before `untilMs`). */
export function firstAtLeast(series: Counter, fromMs: number, untilMs: number, level: number): number | null {
  for (const [t, v] of series) if (t >= fromMs && t < untilMs && v >= level) return t - fromMs;
  return null;
}

/** Peak of the series within [fromMs, untilMs) (0 when empty). */
export function peak(series: Counter, fromMs: number, untilMs: number): number {
  let m = 0;
  for (const [t, v] of series) if (t >= fromMs && t < untilMs && v > m) m = v;
  return m;
}
