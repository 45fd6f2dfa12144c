/** Types shared by the CEPtra client files. */
import type { CepCreditHint, CreditHint, Status } from '../../common/contract.js';
import type { AttemptOutcome } from '../sink.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH';

export interface TransportRequest {
  method: HttpMethod;
  /** Path and query, e.g. `/append/batch`. */
  path: string;
  /** Bytes as sent (request bodies are built as bytes, encode.ts); a string is UTF-8. */
  body?: Uint8Array | string;
  contentType?: string;
  signal?: AbortSignal;
  /**
   * Ordered lane (a replay stream): requests of one lane share one keep-alive connection and are
   * pipelined on it, so they reach the target in the order they were sent.
   */
  lane?: string;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * What the client needs from HTTP. The default is an undici Pool; tests inject scripted ones.
 * Network failures reject; a rejection with a non-retryable `ReplayError` is never retried.
 */
export interface CeptraTransport {
  request(req: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}

/** One decoded per-event result (`/append` body or one entry of `/append/batch`). */
export interface EventResult {
  eventId: string;
  status: Status;
  creditHint: CreditHint;
  cepCreditHint: CepCreditHint | null;
  reason: string | null;
  /** Acknowledged as an already-applied duplicate, when the target says so. */
  duplicate: boolean;
  term: string | null;
  index: string | null;
}

/** The hints the client echoes and the flow controller reads. */
export interface LastHint {
  creditHint: CreditHint;
  cepCreditHint: CepCreditHint | null;
  /** Last `client_window_size` ever received (kept when a later response omits the hint). */
  clientWindowSize: number | null;
  retryBackoffMs: number | null;
}

/** Reported after every HTTP attempt (including failed ones), classified (see `AttemptOutcome`). */
export interface AttemptInfo {
  route: string;
  partition: number;
  outcome: AttemptOutcome;
  /** HTTP status, or 0 for network error / timeout. */
  status: number;
  rttMs: number;
  events: number;
  /** Events refused for capacity in this attempt. */
  refused: number;
  /** Retry reason when this attempt will be retried, else null. */
  retryReason: string | null;
}

/** Client-side counters; names map onto CEPtra's SDK telemetry (conformance fixture). */
export interface ClientCounters {
  /** Last advertised `client_window_size` (CEPtra: `client_window_size_ms`). */
  clientWindowSize: number;
  /** Results with reason `LANE_OVERFLOW` (CEPtra: `reject_overload_total_ms`). */
  rejectOverload: number;
  /** Attempts beyond the first, any reason (CEPtra: `append_retry_total_ms`). */
  appendRetry: number;
  retriesByReason: Record<string, number>;
  rejectedByReason: Record<string, number>;
}
