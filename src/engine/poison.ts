/**
 * Poison events on the engine side: client-side checks that catch what CEPtra would refuse for
 * good (saving a round trip and keeping the batch moving), the conversion of poison source rows
 * and refused events into dead letters, and the job's poison policy.
 */
import { DEFAULT_MAX_EVENT_BYTES, FUTURE_SKEW_LIMIT_NS } from '../common/contract.js';
import { ErrorCode, ExitCode, ReplayError, unreachable } from '../common/errors.js';
import type { EventBatch, PoisonRow, SourceEvent } from '../sources/source.js';
import type { DeadLetterRecord, DeadLetterStore } from './cursor.js';

export const ClientPoisonReason = {
  /** Payload above `maxEventBytes` (CEPtra answers PERMANENT_PAYLOAD). */
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** Event time more than `futureSkewNs` ahead of now (CEPtra refuses it permanently). */
  FutureSkew: 'FUTURE_SKEW',
} as const;
export type ClientPoisonReason = (typeof ClientPoisonReason)[keyof typeof ClientPoisonReason];

export interface PoisonCheckOptions {
  /** Largest payload in bytes the target accepts. */
  maxEventBytes: number;
  /** Now, in Unix ns (read once per batch by the caller). */
  nowNs: bigint;
  /** Events later than now + this are refused. */
  futureSkewNs: bigint;
}

export const defaultPoisonCheckOptions = {
  maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
  futureSkewNs: FUTURE_SKEW_LIMIT_NS,
} as const satisfies Partial<PoisonCheckOptions>;

export type PoisonCheckInput = Partial<PoisonCheckOptions> & Pick<PoisonCheckOptions, 'nowNs'>;

/** The reason `e` would be refused for good, or null. Same order as the emulator: time, then size. */
export function checkEvent(e: SourceEvent, opts: PoisonCheckInput): ClientPoisonReason | null {
  const skew = opts.futureSkewNs ?? defaultPoisonCheckOptions.futureSkewNs;
  if (e.tsNs > opts.nowNs + skew) return ClientPoisonReason.FutureSkew;
  if (e.payload.length > (opts.maxEventBytes ?? defaultPoisonCheckOptions.maxEventBytes)) {
    return ClientPoisonReason.PayloadTooLarge;
  }
  return null;
}

export interface PoisonedEvent {
  event: SourceEvent;
  reason: ClientPoisonReason;
  /** Index of the event in the input array (source order). */
  index: number;
}

const NONE: readonly PoisonedEvent[] = Object.freeze([]);

/**
 * Splits off the events `checkEvent` refuses. Fast path: when none is poison (the normal case)
 * the input array itself is returned with a shared empty list: one bigint compare and one length
 * compare per event, no allocation. Otherwise a new array without the poison events.
 */
export function splitPoison(
  events: SourceEvent[],
  opts: PoisonCheckInput,
): { events: SourceEvent[]; poison: readonly PoisonedEvent[] } {
  const limitNs = opts.nowNs + (opts.futureSkewNs ?? defaultPoisonCheckOptions.futureSkewNs);
  const maxBytes = opts.maxEventBytes ?? defaultPoisonCheckOptions.maxEventBytes;
  let first = -1;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.tsNs > limitNs || e.payload.length > maxBytes) {
      first = i;
      break;
    }
  }
  if (first < 0) return { events, poison: NONE };
  const kept = events.slice(0, first);
  const poison: PoisonedEvent[] = [];
  const full = { ...opts, futureSkewNs: limitNs - opts.nowNs, maxEventBytes: maxBytes };
  for (let i = first; i < events.length; i++) {
    const e = events[i]!;
    const reason = checkEvent(e, full);
    if (reason === null) kept.push(e);
    else poison.push({ event: e, reason, index: i });
  }
  return { events: kept, poison };
}

/** Poison source rows → dead letters, in the order given (source order). */
export function poisonRowsToDeadLetters(job: string, rows: readonly PoisonRow[]): DeadLetterRecord[] {
  return rows.map((p) => {
    const d: DeadLetterRecord = {
      job,
      partition: p.partition,
      eventId: p.eventId,
      tsNs: p.tsNs,
      reason: p.reason,
      raw: p.raw,
    };
    if (p.key !== undefined) d.key = p.key;
    if (p.payload !== undefined) d.payload = p.payload;
    if (p.schemaKey !== undefined) d.schemaKey = p.schemaKey;
    return d;
  });
}

/** Events refused by a check or by the target → dead letters (with all their bytes). */
export function eventsToDeadLetters(
  job: string,
  partition: number,
  events: readonly { event: SourceEvent; reason: string }[],
): DeadLetterRecord[] {
  return events.map(({ event: e, reason }) => ({
    job,
    partition,
    eventId: e.eventId,
    tsNs: e.tsNs,
    reason,
    key: e.key,
    payload: e.payload,
    schemaKey: e.schemaKey,
  }));
}

/**
 * One read batch → the events to send and the dead letters it produced, in source order: the
 * source's poison rows (by their `position`) merged with the events `checkEvent` refuses. The
 * fast path (no poison row, no refused event) returns `read.events` itself and a shared empty list.
 */
export function screenBatch(
  job: string,
  read: EventBatch,
  opts: PoisonCheckInput,
): { events: SourceEvent[]; deadLetters: readonly DeadLetterRecord[] } {
  const split = splitPoison(read.events, opts);
  const rows = read.poison ?? [];
  if (rows.length === 0 && split.poison.length === 0)
    return { events: split.events, deadLetters: NO_LETTERS };
  const fromRows = poisonRowsToDeadLetters(job, rows);
  const fromChecks = eventsToDeadLetters(job, read.partition, split.poison);
  const out: DeadLetterRecord[] = [];
  let r = 0;
  for (let c = 0; c < split.poison.length; c++) {
    // A poison row at position p precedes the event at index p.
    while (r < rows.length && rows[r]!.position <= split.poison[c]!.index) out.push(fromRows[r++]!);
    out.push(fromChecks[c]!);
  }
  while (r < rows.length) out.push(fromRows[r++]!);
  return { events: split.events, deadLetters: out };
}

const NO_LETTERS: readonly DeadLetterRecord[] = Object.freeze([]);

export const OnPoison = { DeadLetter: 'dead-letter', Fail: 'fail' } as const;
export type OnPoison = (typeof OnPoison)[keyof typeof OnPoison];

/** `guardrails.onPoison` and `guardrails.maxDeadLetters` of the job config. */
export interface PoisonPolicyConfig {
  onPoison: OnPoison;
  maxDeadLetters: number;
}

/**
 * What happens to dead letters: always persisted first (nothing is lost, whatever the policy),
 * then the job fails with ReplayError 'POISON' (exit 1) when the policy is `fail` or the job's
 * total passed `maxDeadLetters`. Calls are serialized so the count check sees every earlier put.
 */
export class PoisonPolicy {
  #total: number | null = null;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly cfg: PoisonPolicyConfig,
    private readonly store: DeadLetterStore,
    private readonly job: string,
  ) {}

  /** Dead letters stored for this job so far (after the last `record`). */
  get total(): number | null {
    return this.#total;
  }

  record(records: readonly DeadLetterRecord[]): Promise<void> {
    const run = () => this.#record(records);
    const p = this.#chain.then(run, run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  async #record(records: readonly DeadLetterRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.#total ??= await this.store.countDeadLetters(this.job);
    this.#total += await this.store.putDeadLetters(this.job, records);
    const first = records[0]!;
    const what = `${first.reason} (partition ${first.partition}, event ${first.eventId ?? 'with NULL id'})`;
    const mode = this.cfg.onPoison;
    switch (mode) {
      case OnPoison.Fail:
        throw new ReplayError(
          ErrorCode.Poison,
          `job "${this.job}": ${records.length} poison event(s), first ${what}; guardrails.onPoison is "fail". ` +
            'They are stored as dead letters (ceptra-replay dead-letters list); fix the source or set guardrails.onPoison: dead-letter, then run again.',
          { exitCode: ExitCode.Failed, details: { reason: first.reason, count: records.length } },
        );
      case OnPoison.DeadLetter:
        if (this.#total > this.cfg.maxDeadLetters) {
          throw new ReplayError(
            ErrorCode.Poison,
            `job "${this.job}" has ${this.#total} dead letters, more than guardrails.maxDeadLetters (${this.cfg.maxDeadLetters}); last ${what}. ` +
              'All are stored (ceptra-replay dead-letters list). Fix the source, or raise guardrails.maxDeadLetters, then run again.',
            { exitCode: ExitCode.Failed, details: { total: this.#total, max: this.cfg.maxDeadLetters } },
          );
        }
        return;
      default: {
        return unreachable(mode, 'guardrails.onPoison');
      }
    }
  }
}
