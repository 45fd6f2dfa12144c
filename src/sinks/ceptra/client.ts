/**
 * The CEPtra ingest client: one transport (undici Pool by default), the credit window, the hint
 * echo state, HTTP-level retries and metrics. Batches go through `batch-sender.ts` (/append/batch)
 * and `single-sender.ts` (/append), which use `post` and `observe`; CEPtra's SDK conformance
 * scenarios run through both (test/sinks/ceptra/conformance.test.ts).
 */

import {
  abortableSleep,
  abortedError,
  expBackoffMs,
  hintBackoffMs,
  parseRetryAfter,
} from '../../common/backoff.js';
import {
  type CepCreditHint,
  CreditHint,
  MAX_HINTED_WAIT_MS,
  REPLAY_STREAMS_PATH,
} from '../../common/contract.js';
import { ErrorCode, errorMessage, isReplayError, ReplayError, unreachable } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { AttemptOutcome } from '../sink.js';
import { classifyHttp, fatalHttpError, HttpAction } from './classify.js';
import { CreditWindow } from './credit-window.js';
import { retryAfterMsFromBody } from './decode.js';
import { hintSuffix } from './encode.js';
import { ClientMetrics, outcomeOf } from './metrics.js';
import { type CeptraClientOptions, resolveCeptraClientOptions } from './options.js';
import { UndiciTransport } from './transport.js';
import type { CeptraTransport, ClientCounters, EventResult, LastHint, TransportResponse } from './types.js';

export const Route = { Append: '/append', AppendBatch: '/append/batch' } as const;

/** Retry tallies by reason, merged into `BatchAck.retries`. */
export type RetryTally = Record<string, number>;

export interface PostRequest {
  route: string;
  /** Built per attempt, so the hint echo is current. */
  body: () => Uint8Array;
  contentType: string;
  /** The partition the events belong to (for the attempt report). */
  partition: number;
  events: number;
  tally: RetryTally;
  signal?: AbortSignal | undefined;
  /** The ordered lane (replay stream), when the target sequences. */
  lane?: string | undefined;
}

export class CeptraClient {
  readonly options: Readonly<CeptraClientOptions>;
  readonly transport: CeptraTransport;
  readonly window: CreditWindow;
  readonly metrics: ClientMetrics;
  private hint: LastHint = {
    creditHint: CreditHint.Recover,
    cepCreditHint: null,
    clientWindowSize: null,
    retryBackoffMs: null,
  };
  private readonly sleepFn: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly log: Logger | undefined;

  constructor(input: Partial<CeptraClientOptions>) {
    this.options = resolveCeptraClientOptions(input);
    const o = this.options;
    this.transport = o.transport ?? new UndiciTransport(o);
    this.window = new CreditWindow({ initialEvents: o.initialWindowEvents, maxBytes: o.maxWindowBytes });
    this.metrics = new ClientMetrics(o.registry, o.job);
    this.metrics.creditWindow(this.window.events());
    this.sleepFn = o.sleep ?? abortableSleep;
    this.log = o.logger?.child({ component: 'ceptra-client' });
  }

  /** The latest hints received (what the next request echoes). */
  get lastHint(): Readonly<LastHint> {
    return this.hint;
  }

  stats(): Readonly<ClientCounters> & { creditWindow: number } {
    return { ...this.metrics.counters, creditWindow: this.window.events() };
  }

  /** The echo tail for the next request (contract §2 rule 5). */
  suffix(): string {
    return hintSuffix(this.hint.creditHint, this.hint.cepCreditHint);
  }

  /** Record the hints of one result: echo state, window ceiling, SDK counters. */
  observe(r: EventResult): void {
    this.observeHints(r.creditHint, r.cepCreditHint);
    if (r.reason === 'LANE_OVERFLOW') this.metrics.overload();
  }

  /** The echo state and window cap from one result's hints (the latest result wins). */
  observeHints(creditHint: CreditHint, cep: CepCreditHint | null): void {
    this.hint.creditHint = creditHint;
    this.hint.cepCreditHint = cep;
    if (cep !== null) {
      this.hint.clientWindowSize = cep.client_window_size;
      this.hint.retryBackoffMs = cep.retry_backoff_ms;
      this.window.onHint(cep.client_window_size);
      this.metrics.clientWindowSize(cep.client_window_size);
      this.metrics.creditWindow(this.window.events());
    }
  }

  countRetry(tally: RetryTally, reason: string): void {
    tally[reason] = (tally[reason] ?? 0) + 1;
    this.metrics.retry(reason);
  }

  /** TransientBackpressure: wait the hinted jitter (contract §2 rule 2) before the re-send. */
  async backoffTransient(signal?: AbortSignal): Promise<void> {
    const o = this.options;
    await this.sleep(
      hintBackoffMs(this.hint.retryBackoffMs, o.random, o.defaultBackoffMinMs, o.defaultBackoffMaxMs),
      signal,
    );
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortedError(signal));
    return this.sleepFn(ms, signal);
  }

  /**
   * POST with HTTP-level retries: 429/503 honour `retry_after_ms` / `Retry-After`, 5xx / network
   * errors / timeouts back off exponentially with full jitter, other 4xx are fatal. `body()` is
   * called per attempt so the echo is current. Resolves with the 2xx body and when that attempt
   * was sent. Every failed attempt is reported through `onAttempt`, classified; a 2xx is
   * reported by the sender once it has read the per-event results.
   */
  async post(req: PostRequest): Promise<{ body: string; sentAt: number; rttMs: number }> {
    const o = this.options;
    const { route, lane, signal, events, partition } = req;
    let failures = 0;
    let firstFailureAt: number | null = null;
    for (;;) {
      if (signal?.aborted) throw abortedError(signal);
      const t0 = o.now();
      let res: TransportResponse | undefined;
      let err: unknown;
      try {
        res = await this.transport.request({
          method: 'POST',
          path: route,
          body: req.body(),
          contentType: req.contentType,
          ...(signal ? { signal } : {}),
          ...(lane === undefined ? {} : { lane }),
        });
      } catch (e) {
        if (signal?.aborted) throw abortedError(signal);
        if (isReplayError(e) && !e.canRetry) throw e;
        if (isTlsVerifyError(e)) {
          throw new ReplayError(
            ErrorCode.TlsVerify,
            `TLS verification with CEPtra failed: ${errorMessage(e)}; check tls.ca / servername`,
            { cause: e },
          );
        }
        err = e;
      }
      const rttMs = o.now() - t0;
      const status = res?.status ?? 0;
      this.metrics.request(route, outcomeOf(status), rttMs);
      const report = (outcome: AttemptOutcome, retryReason: string | null) =>
        o.onAttempt?.({ route, partition, outcome, status, rttMs, events, refused: 0, retryReason });
      let reason: string;
      let delay: number;
      if (res === undefined) {
        reason = isTimeout(err) ? 'TIMEOUT' : 'NETWORK';
        delay = expBackoffMs(failures, o.retryBaseMs, o.retryCapMs, o.random);
        report(AttemptOutcome.Error, reason);
      } else {
        const action = classifyHttp(status);
        switch (action) {
          case HttpAction.Ok:
            return { body: res.body, sentAt: t0, rttMs };
          case HttpAction.Throttled: {
            reason = `HTTP_${status}`;
            // The body's milliseconds first: `Retry-After` has whole seconds only. Clamped: a
            // hint above 2^31 ms would make Node fire the timer after 1 ms (a spin).
            const hinted = retryAfterMsFromBody(res.body) ?? parseRetryAfter(res.headers['retry-after']);
            delay =
              hinted === null
                ? expBackoffMs(failures, o.retryBaseMs, o.retryCapMs, o.random)
                : Math.min(hinted, MAX_HINTED_WAIT_MS);
            report(status === 429 ? AttemptOutcome.Http429 : AttemptOutcome.Http503, reason);
            break;
          }
          case HttpAction.Backoff:
            reason = status >= 500 ? 'HTTP_5XX' : `HTTP_${status}`;
            delay = expBackoffMs(failures, o.retryBaseMs, o.retryCapMs, o.random);
            report(AttemptOutcome.Error, reason);
            break;
          case HttpAction.Fatal:
            report(AttemptOutcome.Error, null);
            throw fatalHttpError(route, status, res.body);
          default:
            return unreachable(action, 'HTTP action');
        }
      }
      firstFailureAt ??= t0;
      if (o.maxRetryDurationMs !== null && o.now() + delay - firstFailureAt > o.maxRetryDurationMs) {
        throw new ReplayError(
          ErrorCode.RetryExpired,
          `CEPtra ${route} still failing (${reason}${err ? `: ${errorMessage(err)}` : ''}) after ` +
            `${Math.round(o.now() - firstFailureAt)} ms (maxRetryDurationMs ${o.maxRetryDurationMs})`,
          { canRetry: true, cause: err, details: { reason, route } },
        );
      }
      this.log?.debug({ route, reason, delay, failures }, 'ceptra request retry');
      this.countRetry(req.tally, reason);
      failures++;
      await this.sleep(delay, signal);
    }
  }

  /**
   * Reports a 2xx attempt once its per-event results are known: `backpressure` when events were
   * refused for capacity, else `ok`.
   */
  reportResults(
    route: string,
    partition: number,
    rttMs: number,
    events: number,
    refused: number,
    retryReason: string | null,
  ): void {
    this.options.onAttempt?.({
      route,
      partition,
      outcome: refused > 0 ? AttemptOutcome.Backpressure : AttemptOutcome.Ok,
      status: 200,
      rttMs,
      events,
      refused,
      retryReason,
    });
  }

  /**
   * The target's last applied seq of a replay stream (`GET /v1/replay/streams/{stream}`, contract
   * §2): 0 when it never saw the stream (404), undefined when it cannot say (no such endpoint, an
   * error, an unreadable answer) — the caller then cannot resynchronise.
   */
  async streamLastSeq(stream: string): Promise<bigint | undefined> {
    let res: TransportResponse;
    try {
      res = await this.transport.request({
        method: 'GET',
        path: REPLAY_STREAMS_PATH + encodeURIComponent(stream),
      });
    } catch (e) {
      this.log?.warn({ stream, err: errorMessage(e) }, 'replay stream lookup failed');
      return undefined;
    }
    if (res.status === 404) return 0n;
    if (res.status !== 200) return undefined;
    try {
      const v = (JSON.parse(res.body) as { last_seq?: unknown }).last_seq;
      const text = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
      return typeof text === 'string' && /^\d+$/.test(text) ? BigInt(text) : undefined;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

/** Certificate problems do not heal by retrying: fail fast (a refused client cert shows as a reset). */
const TLS_VERIFY_CODES =
  /^(ERR_TLS_CERT_ALTNAME_INVALID|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_[A-Z_]+)$/;

function isTlsVerifyError(e: unknown): boolean {
  for (let c: unknown = e, i = 0; c && i < 4; c = (c as { cause?: unknown }).cause, i++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_VERIFY_CODES.test(code)) return true;
  }
  return false;
}

function isTimeout(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.includes('TIMEOUT');
}
