/**
 * The verified time seek: the offset of a topic-partition where reading for time T starts. The
 * broker's offsets-by-timestamp answer is a candidate only: it indexes record timestamps (the
 * mapping may take the time from a header or the payload), CreateTime is not monotonic, and a
 * cluster without a time index (librdkafka's mock) answers the high watermark for any T. So:
 *
 * - verify: the candidate c holds when the last timed record before c is older than T (or c is
 *   the log start) and the first timed record at or after c is at T or later (or c is the end);
 * - otherwise binary search over [low, high) on "first timed record at or after x" with the
 *   invariant: the last timed record before `lo` is older than T, the first at or after `hi` is
 *   not. ~log2(high − low) single-record reads.
 *
 * - then guard: the GUARD timed records before the answer must all be older than T; if one is
 *   not, the answer moves back to it and the guard reads again. Without it, one record far behind
 *   its neighbours (beyond maxDisorder, e.g. a late producer) just before a run of records at or
 *   after T is a transition the search can stop at, and that run — records of the window — would
 *   never be read. Moving back only reads more, never less.
 *
 * With disorder, several offsets may pass; any one is an answer. Records before it are never
 * read: a run of more than GUARD records beyond maxDisorder there is outside the replay's reach
 * (the plan's disorder sample shows how much disorder a topic has).
 */

/** Timed records before a seek answer that must all be older than T. */
export const SEEK_GUARD_RECORDS = 64;

/** The first record at or after an offset (below the end) that has an event time. */
export interface TimedRecord {
  offset: number;
  tsNs: bigint;
}

export interface TimeProbe {
  at(offset: number): Promise<TimedRecord | null>;
  /** The timed records in [from, to), in offset order. */
  range(from: number, to: number): Promise<TimedRecord[]>;
}

export interface SeekResult {
  offset: number;
  /** The broker's candidate passed the check (no search needed). */
  verified: boolean;
  /** Single-record reads made. */
  probes: number;
}

export async function verifiedSeek(
  t: bigint,
  low: number,
  high: number,
  candidate: number | null,
  probe: TimeProbe,
): Promise<SeekResult> {
  let probes = 0;
  const at = async (offset: number): Promise<TimedRecord | null> => {
    probes++;
    const r = await probe.at(offset);
    return r === null || r.offset >= high ? null : r;
  };
  if (low >= high) return { offset: high, verified: true, probes };
  const guarded = async (offset: number, verified: boolean): Promise<SeekResult> => {
    let s = offset;
    while (s > low) {
      probes++;
      const before = await probe.range(Math.max(low, s - SEEK_GUARD_RECORDS), s);
      const late = before.find((r) => r.tsNs >= t);
      if (late === undefined) break;
      s = late.offset;
      verified = false;
    }
    return { offset: s, verified, probes };
  };
  if (candidate !== null && candidate >= low && candidate <= high) {
    const c = candidate;
    const here = c < high ? await at(c) : null;
    if (here === null || here.tsNs >= t) {
      if (c === low) return { offset: c, verified: true, probes };
      const before = await at(c - 1);
      // The record just before c must exist and be older than T; anything else (a gap, a record
      // without a time) leaves the check inconclusive and the search decides.
      if (before !== null && before.offset === c - 1 && before.tsNs < t) return guarded(c, true);
    }
  }
  let lo = low;
  let hi = high;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const r = await at(mid);
    if (r === null || r.offset >= hi || r.tsNs >= t) hi = mid;
    else lo = r.offset + 1;
  }
  return guarded(lo, false);
}
