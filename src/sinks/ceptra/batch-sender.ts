/**
 * Batch mode: `POST /append/batch`. The credit window caps the events (and payload bytes) of one
 * request, so a larger batch goes out as window-sized requests, sequentially and in order.
 *
 * Ordering. The target processes a request in order and, once an event of a partition is not
 * accepted, answers every later event of that partition `TRANSIENT_RETRY` (contract §2). So the
 * unaccepted events of a request are re-sent, in their original order, before anything after
 * them: the next request starts at the first unaccepted index. Events with a final outcome
 * (accepted, duplicate, permanently rejected) are never sent again; the re-sent ones keep
 * their event_id, bytes and replay_seq (their prefixes are encoded once).
 */

import { abortedError } from '../../common/backoff.js';
import { Reason } from '../../common/contract.js';
import { ErrorCode, ReplayError, unreachable } from '../../common/errors.js';
import type { BatchAck, SinkBatch } from '../sink.js';
import { classifyResult, permanentReason, transientReason } from './classify.js';
import type { CeptraClient } from './client.js';
import { Route } from './client.js';
import { healthyBatch, parseBatchResponse } from './decode.js';
import { contentTypeFor, type EncodeContext, encodeBatch, encodePrefixes } from './encode.js';
import { onOutOfOrder, watchPredecessor } from './resync.js';
import type { EventResult } from './types.js';

/**
 * Counts one event's final outcome into `ack` (accepted, duplicate, permanently rejected); returns
 * the transient reason when the event must be re-sent, else null. Shared by both send modes.
 */
export function tallyResult(
  client: CeptraClient,
  ack: BatchAck,
  eventId: string,
  index: number,
  r: EventResult,
): string | null {
  const outcome = classifyResult(r);
  switch (outcome) {
    case 'ok':
      ack.accepted++;
      if (r.duplicate) ack.duplicates++;
      return null;
    case 'permanent': {
      const reason = permanentReason(r);
      ack.rejected.push({ index, eventId, reason });
      client.metrics.rejected(reason);
      return null;
    }
    case 'transient':
      return transientReason(r);
    default: {
      return unreachable(outcome, 'outcome');
    }
  }
}

/**
 * Whether a transient reason says the target lacks capacity. OUT_OF_ORDER_SEQUENCE is an ordering
 * signal (an earlier batch is not in yet) and TRANSIENT_RETRY only follows an earlier refusal in
 * the same request (the prefix rule): counting them would turn one refusal into a whole request's.
 */
export function isCapacityRefusal(reason: string): boolean {
  return reason !== Reason.OutOfOrderSequence && reason !== Reason.TransientRetry;
}

export function emptyAck(): BatchAck {
  return { accepted: 0, duplicates: 0, rejected: [], retries: {}, resent: 0 };
}

export function encodeContext(client: CeptraClient, batch: SinkBatch, sequencing: boolean): EncodeContext {
  const ctx: EncodeContext = { replayFlag: client.options.replayFlag };
  if (sequencing && batch.replayStream !== undefined && batch.firstSeq !== undefined) {
    ctx.replayStream = batch.replayStream;
    ctx.firstSeq = batch.firstSeq;
  }
  return ctx;
}

/** Take the next request's indices from the head of `pending`: window events and bytes, ≥ 1. */
function takeChunk(client: CeptraClient, batch: SinkBatch, pending: readonly number[]): number[] {
  const maxEvents = client.window.events();
  const maxBytes = client.window.maxBytes;
  const chunk: number[] = [];
  let bytes = 0;
  for (const i of pending) {
    const size = batch.events[i]!.payload.length;
    if (chunk.length >= maxEvents || (chunk.length > 0 && bytes + size > maxBytes)) break;
    chunk.push(i);
    bytes += size;
  }
  return chunk;
}

export interface SendGate {
  /** Settles when the previous batch of the same stream is entirely on the wire. */
  prevSent: Promise<void> | undefined;
  /** Called once every event of this batch has been sent at least once. */
  onAllSent(): void;
}

export async function sendBatchMode(
  client: CeptraClient,
  batch: SinkBatch,
  sequencing: boolean,
  signal?: AbortSignal,
  gate?: SendGate,
): Promise<BatchAck> {
  const ack = emptyAck();
  const { events } = batch;
  const prefixes = encodePrefixes(events, encodeContext(client, batch, sequencing));
  const encoding = client.options.batchEncoding;
  const contentType = contentTypeFor(encoding);
  const sent = new Uint8Array(events.length);
  let pending: number[] = events.map((_, i) => i);
  const order = watchPredecessor(batch);
  const deadline = new TransientDeadline(client);
  if (gate?.prevSent) await waitFor(gate.prevSent, signal);
  let unsent = events.length;
  while (pending.length > 0) {
    const chunk = takeChunk(client, batch, pending);
    for (const i of chunk) {
      if (sent[i]) ack.resent++;
      else {
        sent[i] = 1;
        unsent--;
      }
    }
    const posted = client.post({
      route: Route.AppendBatch,
      body: () => encodeBatch(prefixes, chunk, client.suffix(), encoding),
      contentType,
      partition: batch.partition,
      events: chunk.length,
      tally: ack.retries,
      signal,
      lane: sequencing ? batch.replayStream : undefined,
    });
    if (unsent === 0) gate?.onAllSent(); // the request is dispatched; the next batch may go
    const { body, rttMs } = await posted;
    const healthy = healthyBatch(body, chunk.length);
    if (healthy !== null) {
      // Everything accepted (the common answer): no object per result (decode.ts healthyBatch).
      ack.accepted += chunk.length;
      ack.duplicates += healthy.duplicates;
      client.observeHints(healthy.creditHint, healthy.cepCreditHint);
      pending = pending.slice(chunk.length);
      client.reportResults(Route.AppendBatch, batch.partition, rttMs, chunk.length, 0, null);
      deadline.progress();
      order.resends = 0;
      continue;
    }
    const results = parseBatchResponse(
      body,
      chunk.map((i) => events[i]!.eventId),
    );
    const unaccepted: number[] = [];
    let retryReason: string | null = null;
    let refused = 0;
    for (let k = 0; k < chunk.length; k++) {
      const r = results[k]!;
      const i = chunk[k]!;
      client.observe(r);
      const transient = tallyResult(client, ack, events[i]!.eventId, i, r);
      if (transient !== null) {
        unaccepted.push(i);
        retryReason ??= transient;
        if (isCapacityRefusal(transient)) refused++;
      }
    }
    const progressed = unaccepted.length < chunk.length;
    pending =
      unaccepted.length > 0 ? unaccepted.concat(pending.slice(chunk.length)) : pending.slice(chunk.length);
    client.reportResults(Route.AppendBatch, batch.partition, rttMs, chunk.length, refused, retryReason);
    if (retryReason === null) {
      deadline.progress();
      order.resends = 0;
      continue;
    }
    client.countRetry(ack.retries, retryReason);
    if (progressed) {
      deadline.progress();
      order.resends = 0;
    }
    if (retryReason === Reason.OutOfOrderSequence && sequencing && batch.firstSeq !== undefined) {
      await onOutOfOrder(client, batch, batch.firstSeq + BigInt(unaccepted[0]!), order, (p) =>
        waitFor(p, signal),
      );
    } else {
      deadline.check(retryReason, batch);
      await client.backoffTransient(signal);
    }
  }
  return ack;
}

/**
 * Transient refusals share the deadline of HTTP-level outages (`maxRetryDurationMs`): a partition
 * whose first unaccepted event is refused for longer than that without any progress fails its
 * batch retryably (the engine pauses it and resumes from its cursor) instead of retrying forever.
 */
export class TransientDeadline {
  private since: number | null = null;
  constructor(private readonly client: CeptraClient) {}
  progress(): void {
    this.since = null;
  }
  check(reason: string, batch: SinkBatch): void {
    const limit = this.client.options.maxRetryDurationMs;
    const now = this.client.options.now();
    this.since ??= now;
    if (limit !== null && now - this.since > limit) {
      throw new ReplayError(
        ErrorCode.RetryExpired,
        `CEPtra kept refusing partition ${batch.partition} ${reason} for ${Math.round(now - this.since)} ms ` +
          `without accepting anything (maxRetryDurationMs ${limit})`,
        { canRetry: true, details: { reason } },
      );
    }
  }
}

/** Resolves when `p` settles (either way), or rejects when `signal` aborts. */
function waitFor(p: Promise<unknown>, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    p.then(done, done);
  });
}
