/**
 * Dead letters as operators see them (the JSON/NDJSON export form), and re-driving them after
 * their cause is fixed.
 *
 * Each record is sent as a REPLAY event WITHOUT `replay_stream`/`replay_seq`: it is not part of a
 * partition's contiguous sequence any more (the stream moved on past it). What makes a retry
 * idempotent is the target's event-id dedup (contract §3): the same event id with the same bytes
 * is acknowledged as a duplicate and not applied again. So a record already marked `sent` is
 * skipped unless named by id, and re-sending it then is harmless — inside the target's retry
 * window (`client_retry_window_s`, 600-1800 s); after it, CEPtra answers PERMANENT_RETRY_EXPIRED
 * or, if its dedup entry was evicted, could apply it again.
 */
import { formatNs } from '../common/civil.js';
import type { Sink } from '../sinks/sink.js';
import type { SourceEvent } from '../sources/source.js';
import type { DeadLetterQuery, DeadLetterStore, StoredDeadLetter } from './cursor.js';
import { checkEvent } from './poison.js';

const PAGE = 1000;
/** Events per request on retry (one partition at a time). */
const RETRY_BATCH = 500;
export const RETRY_SENT = 'sent';

/** Every record matching `q` (without limit), page by page in id order. */
export async function* allDeadLetters(
  store: DeadLetterStore,
  job: string,
  q: Omit<DeadLetterQuery, 'limit'>,
) {
  let after: number | undefined;
  for (;;) {
    const page = await store.listDeadLetters(job, { ...q, limit: PAGE, ...(after ? { after } : {}) });
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.id;
  }
}

export interface RetrySummary {
  selected: number;
  sent: number;
  /** Refused again (by the client check or the target), by reason. */
  failed: Record<string, number>;
  /** Cannot be sent: no key, payload, time or event id (e.g. a NULL-id source row). */
  unsendable: number;
  /** Already sent by an earlier retry and not named with --ids. */
  skipped: number;
}

function sendable(d: StoredDeadLetter): SourceEvent | null {
  if (d.key === undefined || d.payload === undefined || d.tsNs === null || d.eventId === null) return null;
  return { tsNs: d.tsNs, eventId: d.eventId, key: d.key, payload: d.payload, schemaKey: d.schemaKey ?? '' };
}

export async function retryDeadLetters(
  store: DeadLetterStore,
  sink: Sink,
  job: string,
  opts: { ids?: number[]; reason?: string; nowNs?: bigint; maxEventBytes?: number },
): Promise<RetrySummary> {
  const s: RetrySummary = { selected: 0, sent: 0, failed: {}, unsendable: 0, skipped: 0 };
  const byPartition = new Map<number, { d: StoredDeadLetter; e: SourceEvent }[]>();
  const outcomes = new Map<string, number[]>();
  const mark = (outcome: string, id: number) => {
    const list = outcomes.get(outcome) ?? [];
    list.push(id);
    outcomes.set(outcome, list);
    if (outcome === RETRY_SENT) s.sent++;
    else s.failed[outcome] = (s.failed[outcome] ?? 0) + 1;
  };
  const nowNs = opts.nowNs ?? BigInt(Date.now()) * 1_000_000n;
  const q = { ...(opts.ids ? { ids: opts.ids } : {}), ...(opts.reason ? { reason: opts.reason } : {}) };
  for await (const d of allDeadLetters(store, job, q)) {
    s.selected++;
    if (d.retryOutcome === RETRY_SENT && !opts.ids) {
      s.skipped++;
      continue;
    }
    const e = sendable(d);
    if (e === null) {
      s.unsendable++;
      continue;
    }
    const bad = checkEvent(e, {
      nowNs,
      ...(opts.maxEventBytes ? { maxEventBytes: opts.maxEventBytes } : {}),
    });
    if (bad !== null) {
      mark(bad, d.id);
      continue;
    }
    const list = byPartition.get(d.partition) ?? [];
    list.push({ d, e });
    byPartition.set(d.partition, list);
  }
  for (const [partition, list] of byPartition) {
    for (let i = 0; i < list.length; i += RETRY_BATCH) {
      const chunk = list.slice(i, i + RETRY_BATCH);
      // No replayStream/firstSeq: sent flagged REPLAY, deduplicated by event id (see the header).
      const ack = await sink.send({ partition, events: chunk.map((x) => x.e) });
      const refused = new Map(ack.rejected.map((r) => [r.index, r.reason]));
      for (let j = 0; j < chunk.length; j++) mark(refused.get(j) ?? RETRY_SENT, chunk[j]!.d.id);
    }
  }
  for (const [outcome, ids] of outcomes) await store.markDeadLettersRetried(job, ids, outcome);
  return s;
}

/** The export form of a stored dead letter (bytes as base64, times as text and decimal ns). */
export function deadLetterJson(d: StoredDeadLetter): Record<string, unknown> {
  return {
    id: d.id,
    job: d.job,
    partition: d.partition,
    eventId: d.eventId,
    tsNs: d.tsNs?.toString() ?? null,
    time: d.tsNs === null ? null : formatNs(d.tsNs),
    reason: d.reason,
    schemaKey: d.schemaKey ?? null,
    keyB64: d.key?.toString('base64') ?? null,
    payloadB64: d.payload?.toString('base64') ?? null,
    raw: d.raw ?? null,
    createdAt: d.createdAt.toISOString(),
    retriedAt: d.retriedAt?.toISOString() ?? null,
    retryOutcome: d.retryOutcome,
  };
}
