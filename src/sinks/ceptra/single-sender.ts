/**
 * Single mode: one `POST /append` per event, up to the credit window in flight. Work goes in
 * rounds over the events without a final outcome, in order; once an event is throttled no new
 * event is started, and the next round begins at the first throttled event, so it and every
 * later event of its partition are re-sent in order.
 *
 * Pipelining only keeps per-partition order when the target refuses sequence gaps
 * (`replay_seq`): without sequencing an in-flight successor could land before a throttled
 * predecessor, so the caller passes `pipelined = false` and events go one at a time.
 */
import { Reason } from '../../common/contract.js';
import type { BatchAck, SinkBatch } from '../sink.js';
import {
  emptyAck,
  encodeContext,
  isCapacityRefusal,
  TransientDeadline,
  tallyResult,
} from './batch-sender.js';
import { classifyResult, transientReason } from './classify.js';
import type { CeptraClient } from './client.js';
import { Route } from './client.js';
import { parseSingleResponse } from './decode.js';
import { encodePrefixes, encodeSingle } from './encode.js';
import { onOutOfOrder, watchPredecessor } from './resync.js';
import type { EventResult } from './types.js';

export async function sendSingleMode(
  client: CeptraClient,
  batch: SinkBatch,
  sequencing: boolean,
  signal?: AbortSignal,
): Promise<BatchAck> {
  const ack = emptyAck();
  const { events } = batch;
  const prefixes = encodePrefixes(events, encodeContext(client, batch, sequencing));
  const sent = new Uint8Array(events.length);
  let pending: number[] = events.map((_, i) => i);
  const order = watchPredecessor(batch);
  const deadline = new TransientDeadline(client);
  while (pending.length > 0) {
    const round = pending;
    const results = new Map<number, EventResult>();
    let next = 0;
    let stop = false;
    let failure: unknown;
    const worker = async (): Promise<void> => {
      while (!stop && next < round.length) {
        const i = round[next++]!;
        if (sent[i]) ack.resent++;
        else sent[i] = 1;
        try {
          const { body, rttMs } = await client.post({
            route: Route.Append,
            body: () => encodeSingle(prefixes, i, client.suffix()),
            contentType: 'application/json',
            partition: batch.partition,
            events: 1,
            tally: ack.retries,
            signal,
          });
          const r = parseSingleResponse(body, events[i]!.eventId);
          client.observe(r);
          results.set(i, r);
          const transient = classifyResult(r) === 'transient' ? transientReason(r) : null;
          client.reportResults(
            Route.Append,
            batch.partition,
            rttMs,
            1,
            transient !== null && isCapacityRefusal(transient) ? 1 : 0,
            transient,
          );
          if (transient !== null) stop = true;
        } catch (e) {
          failure ??= e;
          stop = true;
        }
      }
    };
    const width = sequencing ? Math.min(client.window.events(), round.length) : 1;
    await Promise.all(Array.from({ length: width }, worker));
    if (failure !== undefined) throw failure;
    pending = [];
    let retryReason: string | null = null;
    for (const i of round) {
      const r = results.get(i);
      if (r === undefined) {
        pending.push(i); // not started this round
        continue;
      }
      const transient = tallyResult(client, ack, events[i]!.eventId, i, r);
      if (transient !== null) {
        pending.push(i);
        retryReason ??= transient;
      }
    }
    if (retryReason === null) {
      deadline.progress();
      order.resends = 0;
      continue;
    }
    client.countRetry(ack.retries, retryReason);
    if (pending[0] !== round[0]) {
      deadline.progress(); // the head of the round was accepted
      order.resends = 0;
    }
    if (retryReason === Reason.OutOfOrderSequence && sequencing && batch.firstSeq !== undefined) {
      await onOutOfOrder(client, batch, batch.firstSeq + BigInt(pending[0]!), order, async (p) => {
        await p.catch(() => undefined);
      });
    } else {
      deadline.check(retryReason, batch);
      await client.backoffTransient(signal);
    }
  }
  return ack;
}
