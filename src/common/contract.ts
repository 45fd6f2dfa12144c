/**
 * Names from the CEPtra contract (shared/docs/ceptra-contract.md). Constants only: the emulator
 * and the client may both import these, but never each other's encoder or decoder.
 */
export const Status = {
  Healthy: 'Healthy',
  TransientBackpressure: 'TransientBackpressure',
  PermanentDurability: 'PermanentDurability',
} as const;
export type Status = (typeof Status)[keyof typeof Status];

const STATUS_SPELLINGS: Record<string, Status> = {
  Healthy: Status.Healthy,
  HEALTHY: Status.Healthy,
  TransientBackpressure: Status.TransientBackpressure,
  TRANSIENT_BACKPRESSURE: Status.TransientBackpressure,
  PermanentDurability: Status.PermanentDurability,
  PERMANENT_DURABILITY: Status.PermanentDurability,
};

/** Accepts both the code's (`Healthy`) and the spec's (`HEALTHY`) spellings; undefined if unknown. */
export function normalizeStatus(s: unknown): Status | undefined {
  return typeof s === 'string' ? STATUS_SPELLINGS[s] : undefined;
}

export const Reason = {
  TransientBackpressure: 'TRANSIENT_BACKPRESSURE',
  TransientWarmup: 'TRANSIENT_WARMUP',
  TransientRetry: 'TRANSIENT_RETRY',
  TransientRedirect: 'TRANSIENT_REDIRECT',
  NotLeader: 'NOT_LEADER',
  PermanentSchema: 'PERMANENT_SCHEMA',
  PermanentPayload: 'PERMANENT_PAYLOAD',
  PermanentEpoch: 'PERMANENT_EPOCH',
  PermanentDurability: 'PERMANENT_DURABILITY',
  PermanentRetryExpired: 'PERMANENT_RETRY_EXPIRED',
  /** Not named by the spec: this project's reason for events more than 5 s in the future. */
  PermanentFutureSkew: 'PERMANENT_FUTURE_SKEW',
  ErrUnknownSchema: 'ERR_UNKNOWN_SCHEMA',
  ErrSchemaBlocked: 'ERR_SCHEMA_BLOCKED',
  DedupCapacity: 'DEDUP_CAPACITY',
  LaneOverflow: 'LANE_OVERFLOW',
  /** Replay sequencing extension: seq > last + 1. */
  OutOfOrderSequence: 'OUT_OF_ORDER_SEQUENCE',
} as const;

export const CreditHint = { Recover: 'Recover', Hold: 'Hold', Shed: 'Shed' } as const;
export type CreditHint = (typeof CreditHint)[keyof typeof CreditHint];

export const REPLAY_FLAG = 'REPLAY';

/** `GET /v1/replay/streams/{stream}` → `{stream, last_seq}`; 404 = never seen (contract §2). */
export const REPLAY_STREAMS_PATH = '/v1/replay/streams/';

/**
 * Upper bound on any wait a target asks for (`retry_backoff_ms`, `Retry-After`, `retry_after_ms`).
 * Node fires a timer above 2^31 − 1 ms after 1 ms, so an absurd hint would become a spin; and a
 * minute is already longer than any sensible throttle.
 */
export const MAX_HINTED_WAIT_MS = 60_000;

/** `PERMANENT_*`, `ERR_*` reasons are never retried. */
export function isPermanentReason(reason: string | null | undefined): boolean {
  return !!reason && (reason.startsWith('PERMANENT_') || reason.startsWith('ERR_'));
}

export interface CepCreditHint {
  client_window_size: number;
  retry_backoff_ms: number;
}

/** One event on the wire (contract §1). Wide integers are decimal strings. */
export interface WireEvent {
  event_id: string;
  partition_key_b64: string;
  schema_key: string;
  payload_b64: string;
  ts_ns: string;
  flags?: string[];
  credit_hint?: CreditHint;
  cep_credit_hint?: CepCreditHint | null;
  replay_stream?: string;
  replay_seq?: string;
}

/** One result (contract §2): same shape for `/append` and each entry of `/append/batch`. */
export interface WireResult {
  event_id: string;
  status: string;
  credit_hint: CreditHint | string;
  cep_credit_hint: CepCreditHint | null;
  cep_status_reason: string | null;
  term: string | number | null;
  index: string | number | null;
}

export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
export const FUTURE_SKEW_LIMIT_NS = 5_000_000_000n;
export const DEFAULT_PANE_MS = 250;
