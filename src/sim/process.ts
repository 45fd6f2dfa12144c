/**
 * Processes validated events in request order and builds the response JSON by concatenation.
 *
 * Per event, in order: (1) prefix rule — once an event of a partition is not accepted in this
 * request, later events of that partition get TransientBackpressure/TRANSIENT_RETRY;
 * (2) replay sequencing — seq ≤ last: Healthy duplicate; seq > last+1: OUT_OF_ORDER_SEQUENCE;
 * (3) permanent checks — fault reject pattern, future skew (> now + 5 s → PERMANENT_FUTURE_SKEW),
 * payload size (→ PERMANENT_PAYLOAD); (4) dedup — same id: same payload → Healthy duplicate,
 * different payload → divergent, answered Healthy (skipped, counted in `divergent`: CEPtra acks
 * and audits it); (5) ring full → TRANSIENT_BACKPRESSURE; (6) commit.
 * Healthy answers that were not applied say so: duplicates (by seq or by event id) carry
 * `"duplicate":true`, divergent events `"divergent":true`.
 *
 * Sequence numbers: an event with a final outcome (committed — even if later dropped as late at
 * apply —, duplicate, divergent, or permanently rejected) consumes its seq; an event answered
 * TransientBackpressure (any reason) does not, so the client re-sends it with the same seq. A
 * re-sent seq that was refused permanently is refused again with the same reason (not answered as
 * a duplicate). The fault `refusalKeepsSeq` breaks the rule on purpose (a refusal that does not
 * consume its seq), to test clients against a target whose bookkeeping differs from theirs.
 * "Not accepted" for the prefix rule means any non-Healthy answer, permanent ones included.
 */

import { CreditHint, FUTURE_SKEW_LIMIT_NS, Reason, Status } from '../common/contract.js';
import { ErrorCode, ReplayError } from '../common/errors.js';
import type { SimEngine } from './engine.js';
import type { PartitionState } from './partition.js';
import { EventKind } from './types.js';
import type { EventColumns } from './validate.js';

const Outcome = {
  Committed: 0,
  Duplicate: 1,
  Divergent: 2,
  Retry: 3,
  Backpressure: 4,
  OutOfOrder: 5,
  Permanent: 6,
} as const;
const FUTURE_SKEW_MS = Number(FUTURE_SKEW_LIMIT_NS / 1_000_000n);
const PAST_SKEW_MS = 30 * 60_000;

/** Scratch per request (single-threaded server: reused). */
let outcome = new Uint8Array(1024);
let index = new Float64Array(1024);
const permReason: string[] = [];
let blockedStamp = new Uint32Array(16);
let hintStamp = new Uint32Array(16);
let hintText: string[] = [];
let stamp = 0;

function grow(n: number, partitions: number): void {
  if (outcome.length < n) {
    outcome = new Uint8Array(n);
    index = new Float64Array(n);
  }
  if (blockedStamp.length < partitions) {
    blockedStamp = new Uint32Array(partitions);
    hintStamp = new Uint32Array(partitions);
    hintText = new Array<string>(partitions);
  }
}

/**
 * Credit hint from ring headroom: window = free slots (≥ 1); backoff = time to free 10 % of the
 * ring at the partition's apply rate, clamped to [5, 1000] ms (1000 while stalled or rate 0);
 * hint Recover below 50 % full, Hold below 90 %, Shed at 90 % and above.
 */
export function hintFragment(p: PartitionState, stalled: boolean): string {
  const free = p.capacity - p.depth;
  const fill = p.depth / p.capacity;
  const rate = stalled ? 0 : p.knobs.apply_rate;
  const chunk = Math.ceil(p.capacity / 10);
  const backoff = rate > 0 ? Math.min(1000, Math.max(5, Math.ceil((chunk * 1000) / rate))) : 1000;
  const hint = fill < 0.5 ? CreditHint.Recover : fill < 0.9 ? CreditHint.Hold : CreditHint.Shed;
  return `"credit_hint":"${hint}","cep_credit_hint":{"client_window_size":${Math.max(1, free)},"retry_backoff_ms":${backoff}}`;
}

/** Processes `cols` (or answers every event TRANSIENT_BACKPRESSURE when `forceTransient`). */
export function processEvents(engine: SimEngine, cols: EventColumns, forceTransient: boolean): string[] {
  const n = cols.n;
  const parts = engine.partitions;
  grow(n, parts.length);
  stamp = (stamp + 1) >>> 0 || 1;
  const nowMono = performance.now();
  const nowWall = Date.now();
  const rejectRe = engine.faults.rejectRe;
  const rejectReason = engine.faults.faults.rejectReason;
  const maxBytes = engine.opts.maxEventBytes;
  const seqMap = engine.seq;
  const keepsSeq = engine.faults.faults.refusalKeepsSeq;
  for (let i = 0; i < n; i++) {
    const pid = cols.part[i]!;
    const p = parts[pid]!;
    let o: number;
    if (forceTransient) o = Outcome.Backpressure;
    else if (blockedStamp[pid] === stamp) o = Outcome.Retry;
    else {
      const stream = cols.streams[i];
      const seq = cols.seqs[i]!;
      const last = stream === undefined ? 0 : (seqMap.get(stream) ?? 0);
      const refused = stream !== undefined && seq <= last ? engine.refusalOf(stream, seq) : undefined;
      if (refused !== undefined) {
        o = Outcome.Permanent;
        permReason[i] = refused;
      } else if (stream !== undefined && seq <= last) {
        o = Outcome.Duplicate;
        p.dupReplaySeq++;
      } else if (stream !== undefined && seq > last + 1) o = Outcome.OutOfOrder;
      else {
        o = decide(engine, p, cols, i, nowMono, nowWall, rejectRe, rejectReason, maxBytes);
        if (stream !== undefined && o !== Outcome.Backpressure) {
          if (o !== Outcome.Permanent) seqMap.set(stream, seq);
          else if (!keepsSeq) {
            seqMap.set(stream, seq);
            engine.rememberRefusal(stream, seq, permReason[i]!);
          }
        }
      }
    }
    outcome[i] = o;
    if (o >= Outcome.Retry) {
      blockedStamp[pid] = stamp;
      if (o === Outcome.Permanent) p.countReason(p.rejected, permReason[i]!);
      else
        p.countReason(
          p.transient,
          o === Outcome.Retry
            ? Reason.TransientRetry
            : o === Outcome.OutOfOrder
              ? Reason.OutOfOrderSequence
              : Reason.TransientBackpressure,
        );
    }
  }
  return buildResults(engine, cols, nowMono);
}

function decide(
  engine: SimEngine,
  p: PartitionState,
  cols: EventColumns,
  i: number,
  nowMono: number,
  nowWall: number,
  rejectRe: RegExp | null,
  rejectReason: string,
  maxBytes: number,
): number {
  const id = cols.ids[i]!;
  const ms = cols.ms[i]!;
  if (rejectRe?.test(id)) {
    permReason[i] = rejectReason;
    return Outcome.Permanent;
  }
  if (ms > nowWall + FUTURE_SKEW_MS || (ms === nowWall + FUTURE_SKEW_MS && cols.sub[i]! > 0)) {
    permReason[i] = Reason.PermanentFutureSkew;
    return Outcome.Permanent;
  }
  if (cols.bytes[i]! > maxBytes) {
    permReason[i] = Reason.PermanentPayload;
    return Outcome.Permanent;
  }
  const fp = cols.fp[i]!;
  const replay = cols.replay[i] === 1;
  // One lookup serves both windows (REPLAY events are checked against the live window too).
  const table = p.idTable;
  const slot = table.find(id);
  let prev = -1;
  if (slot >= 0) {
    prev = table.liveFingerprint(slot);
    if (prev < 0 && replay) prev = table.replayFingerprint(slot);
  }
  if (prev >= 0) {
    if (prev === fp) {
      p.dupEventId++;
      return Outcome.Duplicate;
    }
    p.divergent++;
    return Outcome.Divergent;
  }
  if (p.full || engine.faults.eventTransient()) return Outcome.Backpressure;
  // REPLAY events do not consume the live dedup capacity (contract §3): separate bounded window.
  const s = table.commit(id, slot, fp, replay);
  // Field metrics only: decode + parse the payload now and keep its projection for the fold.
  const projector = engine.projector;
  const fields = projector === null ? undefined : projector.fromBase64(cols.payloads[i]!);
  index[i] = p.enqueue(
    id,
    ms,
    cols.sub[i]!,
    cols.flagSet[i]!,
    replay ? EventKind.Replay : EventKind.Client,
    nowMono,
    s,
    cols.bytes[i]!,
    fields,
  );
  if (ms < nowWall - PAST_SKEW_MS) p.pastSkew++;
  return Outcome.Committed;
}

/**
 * JSON text of an id. Ids rarely need escaping: a scan plus two concatenations took ~20-60 ns
 * per id here against ~75-120 ns for JSON.stringify (1,000 ids × 300 rounds, loaded 2 cores).
 */
function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // quote, backslash, control characters, surrogates (lone ones are escaped by stringify)
    if (c < 0x20 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/** One JSON text per event (~200 B each), built by concatenation: no object graph, no stringify of results. */
function buildResults(engine: SimEngine, cols: EventColumns, nowMono: number): string[] {
  const stalled = engine.faults.stalled(nowMono);
  const out = new Array<string>(cols.n);
  for (let i = 0; i < cols.n; i++) {
    const pid = cols.part[i]!;
    if (hintStamp[pid] !== stamp) {
      hintStamp[pid] = stamp;
      hintText[pid] = hintFragment(engine.partitions[pid]!, stalled);
    }
    const head = '{"event_id":' + jsonString(cols.ids[i]!) + ',"status":"';
    const hint = hintText[pid]!;
    const o = outcome[i]!;
    let tail: string;
    switch (o) {
      case Outcome.Committed:
        tail = `${Status.Healthy}",${hint},"cep_status_reason":"${pid}","term":"1","index":"${index[i]}"}`;
        break;
      // Absorbed without being applied: flagged so a client can count them (unknown fields
      // are tolerated by the contract; the ingest client reads `duplicate === true`).
      case Outcome.Duplicate:
        tail = `${Status.Healthy}",${hint},"cep_status_reason":"${pid}","term":"1","index":null,"duplicate":true}`;
        break;
      case Outcome.Divergent:
        tail = `${Status.Healthy}",${hint},"cep_status_reason":"${pid}","term":"1","index":null,"divergent":true}`;
        break;
      case Outcome.Retry:
        tail = `${Status.TransientBackpressure}",${hint},"cep_status_reason":"${Reason.TransientRetry}","term":null,"index":null}`;
        break;
      case Outcome.Backpressure:
        tail = `${Status.TransientBackpressure}",${hint},"cep_status_reason":"${Reason.TransientBackpressure}","term":null,"index":null}`;
        break;
      case Outcome.OutOfOrder:
        tail = `${Status.TransientBackpressure}",${hint},"cep_status_reason":"${Reason.OutOfOrderSequence}","term":null,"index":null}`;
        break;
      case Outcome.Permanent:
        tail = `${Status.PermanentDurability}",${hint},"cep_status_reason":${JSON.stringify(permReason[i])},"term":null,"index":null}`;
        break;
      default:
        throw new ReplayError(ErrorCode.Bug, `unknown outcome ${o}`);
    }
    out[i] = head + tail;
  }
  return out;
}
