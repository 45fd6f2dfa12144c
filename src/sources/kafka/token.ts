/**
 * The Kafka source's resume token (`EventBatch.resume`, stored by the engine with the cursor) and
 * how a read restarts from it. A CEPtra partition's events come from every topic-partition, so
 * `(tsNs, eventId)` alone cannot say where to read again; the token says, for one partition p
 * after one batch:
 *
 * - `f` frontier: the last in-order key emitted to p (or the skip threshold p restarted from);
 * - per topic-partition `[from, maxBefore, end, sent]`: every record of p at an offset below `from`
 *   was emitted (or is not p's); `maxBefore` is the newest event time of the records before `from`
 *   (the disorder classification resumes from it, so it is identical to the first run's; `"?"`
 *   while p has not reached its fresh start there, which it then restarts as fresh); `end`
 *   is the end offset the scan fixed when it first started (a restart never reads further, even
 *   if the topic grew); `sent` are offsets ≥ `from` already emitted out of order (a disordered
 *   event sent on its own, a dead-lettered one, a poison row), as flattened `[first, count]` runs;
 * - `o`: on a batch that is one out-of-order event sent on its own, that event's key (its position
 *   is then not a frontier: see `restartOf`);
 * - `w`: the window the token belongs to (a token of another window is ignored).
 *
 * JSON with bigints as decimal strings, topics by name, partitions by array index (null for a
 * partition the token does not cover), e.g.
 * `{"v":1,"w":["1754006400000000000","1754010000000000000"],"f":["1754006400000000000","t/0/3"],"t":{"t":[[4,"1754006400000000000",10,[]],null]}}`.
 */
import { ErrorCode, ReplayError } from '../../common/errors.js';
import type { SourcePosition, TimeWindow } from '../source.js';
import { compareKeys, type OrderKey, type TopicPartition } from './types.js';

export interface TpResume {
  from: number;
  /** `undefined`: not known yet (a fresh start the scan has not reached): restart as fresh there. */
  maxBefore: bigint | null | undefined;
  end: number;
  /** Ascending offsets ≥ from. */
  sent: number[];
}

export interface KafkaResumeToken {
  window: TimeWindow;
  frontier: OrderKey | null;
  ooo: OrderKey | null;
  /** topic → partition → resume point. */
  tps: Map<string, Map<number, TpResume>>;
}

type KeyJson = [string, string];
/** maxBefore: decimal string, null (no record before), or "?" (not known: a fresh start). */
type TpJson = [number, string | null, number, number[]];
interface TokenJson {
  v: 1;
  w: [string, string];
  f: KeyJson | null;
  o?: KeyJson;
  t: Record<string, (TpJson | null)[]>;
}

const keyJson = (k: OrderKey): KeyJson => [String(k.tsNs), k.eventId];

function runs(sorted: readonly number[]): number[] {
  const out: number[] = [];
  for (const o of sorted) {
    const n = out.length;
    if (n > 0 && out[n - 2]! + out[n - 1]! === o) out[n - 1]!++;
    else out.push(o, 1);
  }
  return out;
}

export function encodeToken(
  window: TimeWindow,
  frontier: OrderKey | null,
  ooo: OrderKey | null,
  tps: readonly TopicPartition[],
  points: readonly TpResume[],
): string {
  const t: Record<string, (TpJson | null)[]> = {};
  tps.forEach((tp, i) => {
    const p = points[i]!;
    const list = t[tp.topic] ?? [];
    t[tp.topic] = list;
    while (list.length < tp.partition) list.push(null);
    const mb = p.maxBefore === undefined ? '?' : p.maxBefore === null ? null : String(p.maxBefore);
    list[tp.partition] = [p.from, mb, p.end, runs(p.sent)];
  });
  const json: TokenJson = {
    v: 1,
    w: [String(window.startNs), String(window.endNs)],
    f: frontier === null ? null : keyJson(frontier),
    ...(ooo === null ? {} : { o: keyJson(ooo) }),
    t,
  };
  return JSON.stringify(json);
}

function corrupt(why: string): ReplayError {
  return new ReplayError(
    ErrorCode.StateCorrupt,
    `the cursor's Kafka resume token is unreadable (${why}); run again with --restart (a new stream epoch) or a new job id`,
  );
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isBig = (v: unknown): v is string => typeof v === 'string' && /^-?\d+$/.test(v);

function keyOf(v: unknown, what: string): OrderKey {
  if (!Array.isArray(v) || v.length !== 2 || !isBig(v[0]) || typeof v[1] !== 'string') throw corrupt(what);
  return { tsNs: BigInt(v[0]), eventId: v[1] };
}

export function decodeToken(text: string): KafkaResumeToken {
  let j: TokenJson;
  try {
    j = JSON.parse(text) as TokenJson;
  } catch {
    throw corrupt('not JSON');
  }
  if (j === null || typeof j !== 'object' || j.v !== 1) throw corrupt('not a version 1 Kafka token');
  if (!Array.isArray(j.w) || !isBig(j.w[0]) || !isBig(j.w[1])) throw corrupt('window');
  const tps = new Map<string, Map<number, TpResume>>();
  if (j.t === null || typeof j.t !== 'object') throw corrupt('topic-partitions');
  for (const [topic, list] of Object.entries(j.t)) {
    if (!Array.isArray(list)) throw corrupt(`topic ${topic}`);
    const m = new Map<number, TpResume>();
    list.forEach((p, partition) => {
      if (p === null) return;
      const [from, max, end, sent] = p;
      if (
        !isInt(from) ||
        !(max === null || max === '?' || isBig(max)) ||
        !isInt(end) ||
        !Array.isArray(sent)
      ) {
        throw corrupt(`${topic}/${partition}`);
      }
      const offsets: number[] = [];
      for (let i = 0; i + 1 < sent.length; i += 2) {
        const [first, count] = [sent[i], sent[i + 1]];
        if (!isInt(first) || !isInt(count)) throw corrupt(`${topic}/${partition} sent`);
        for (let k = 0; k < count; k++) offsets.push(first + k);
      }
      const maxBefore = max === '?' ? undefined : max === null ? null : BigInt(max);
      m.set(partition, { from, maxBefore, end, sent: offsets });
    });
    tps.set(topic, m);
  }
  return {
    window: { startNs: BigInt(j.w[0]), endNs: BigInt(j.w[1]) },
    frontier: j.f === null ? null : keyOf(j.f, 'frontier'),
    ooo: j.o === undefined ? null : keyOf(j.o, 'out-of-order key'),
    tps,
  };
}

/** Where one partition's read starts in a scan, per topic-partition (same order as the scan's). */
export interface PartitionStart {
  from: number[];
  /** `undefined`: a fresh start (no history, any classification state is consistent). */
  maxBefore: (bigint | null | undefined)[];
  end: number[];
  /** Offsets ≥ from already emitted out of order: skipped, and kept in later tokens until passed. */
  sent: number[][];
  /** In-order records at or below this key were emitted. */
  threshold: OrderKey | null;
}

const max = (a: OrderKey | null, b: OrderKey): OrderKey => (a === null || compareKeys(a, b) < 0 ? b : a);

/**
 * The start of partition p's read from `(position, token)`:
 * - no position: the fresh start (`seek`, `ends`);
 * - a position without a token of this window (first window piece, another window's token): the
 *   fresh start, skipping in-order records at or below the position;
 * - a token: its offsets; in-order records are skipped at or below max(token frontier, position),
 *   except when the position is the token's own out-of-order event (its key is no frontier: a
 *   position newer than the token is always an in-order event, because the engine gives a batch's
 *   token to the piece ending at its last event and an out-of-order event is a batch of its own).
 */
export function restartOf(
  position: SourcePosition | null,
  window: TimeWindow,
  tps: readonly TopicPartition[],
  seek: readonly number[],
  ends: readonly number[],
): PartitionStart {
  const fresh: PartitionStart = {
    from: [...seek],
    maxBefore: tps.map(() => undefined),
    end: [...ends],
    sent: tps.map(() => []),
    threshold: null,
  };
  if (position === null) return fresh;
  const pos: OrderKey = { tsNs: position.tsNs, eventId: position.eventId };
  const token = position.resume === undefined ? null : decodeToken(position.resume);
  if (token === null || token.window.startNs !== window.startNs || token.window.endNs !== window.endNs) {
    return { ...fresh, threshold: pos };
  }
  const ownOoo = token.ooo !== null && compareKeys(token.ooo, pos) === 0;
  const start: PartitionStart = {
    ...fresh,
    threshold: ownOoo ? token.frontier : max(token.frontier, pos),
  };
  tps.forEach((tp, i) => {
    const r = token.tps.get(tp.topic)?.get(tp.partition);
    if (r === undefined) return; // a topic-partition the token does not know: from the seek
    start.from[i] = r.from;
    start.maxBefore[i] = r.maxBefore;
    start.end[i] = r.end;
    start.sent[i] = r.sent;
  });
  return start;
}
