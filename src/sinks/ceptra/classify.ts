/**
 * Classification tables: a per-event result → ok / transient / permanent, an HTTP status →
 * retry with `Retry-After`, retry with backoff, or fatal (style: "driver errors are classified
 * through a table").
 */
import { isPermanentReason, Reason, Status } from '../../common/contract.js';
import { ReplayError, unreachable } from '../../common/errors.js';
import type { EventResult } from './types.js';

export const Outcome = { Ok: 'ok', Transient: 'transient', Permanent: 'permanent' } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export function classifyResult(r: EventResult): Outcome {
  switch (r.status) {
    case Status.Healthy:
      return Outcome.Ok;
    case Status.PermanentDurability:
      return Outcome.Permanent;
    case Status.TransientBackpressure:
      // A permanent reason is never retried, whatever status it came with.
      return isPermanentReason(r.reason) ? Outcome.Permanent : Outcome.Transient;
    default: {
      return unreachable(r.status, 'status');
    }
  }
}

/** Reason reported for a permanent rejection (the status when the target gave none). */
export function permanentReason(r: EventResult): string {
  return r.reason ?? Reason.PermanentDurability;
}

/** Metric-safe retry reason: `NOT_LEADER:7` → `NOT_LEADER`; none → `TRANSIENT_BACKPRESSURE`. */
export function transientReason(r: EventResult): string {
  const reason = r.reason ?? Reason.TransientBackpressure;
  const colon = reason.indexOf(':');
  return colon >= 0 ? reason.slice(0, colon) : reason;
}

export const HttpAction = { Ok: 'ok', Throttled: 'throttled', Backoff: 'backoff', Fatal: 'fatal' } as const;
export type HttpAction = (typeof HttpAction)[keyof typeof HttpAction];

export function classifyHttp(status: number): HttpAction {
  if (status >= 200 && status < 300) return HttpAction.Ok;
  if (status === 429 || status === 503) return HttpAction.Throttled;
  if (status >= 500 || status === 408) return HttpAction.Backoff;
  return HttpAction.Fatal;
}

const HINTS: Record<number, string> = {
  400: 'the request was malformed (a client bug or a contract mismatch)',
  401: 'authentication failed: check the client certificate (mTLS)',
  403: 'the identity lacks the operator role CEPtra needs for backfill',
  413: 'the request is too large: use a smaller batch size',
};

export function fatalHttpError(route: string, status: number, body: string): ReplayError {
  const hint = HINTS[status] ?? 'unexpected HTTP status';
  return new ReplayError(
    `HTTP_${status}`,
    `CEPtra ${route} answered HTTP ${status}: ${hint}; body: ${body.slice(0, 500)}`,
    { canRetry: false, details: { status, route, body: body.slice(0, 2000) } },
  );
}
