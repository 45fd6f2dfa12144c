/**
 * One error base for the whole project: a stable string `code`, whether the operation may be
 * retried, the underlying `cause`, and the process exit code a CLI should use if it surfaces.
 */
export const ExitCode = {
  Done: 0,
  Failed: 1,
  BadInput: 2,
  Interrupted: 3,
  Divergent: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Every error code the project raises, in one table (compare against these, never against a
 * string typed by hand). Whether a code is retried is a property of each error (`canRetry`),
 * decided where the failure is classified.
 */
export const ErrorCode = {
  /** Operator input: config, window, flags (exit 2). */
  BadConfig: 'BAD_CONFIG',
  /** An invariant the code relies on was broken: a bug, reported with its stack. */
  Bug: 'BUG',
  Aborted: 'ABORTED',
  // source
  SourceError: 'SOURCE_ERROR',
  // state store
  StateUnreachable: 'STATE_UNREACHABLE',
  StateInit: 'STATE_INIT',
  StateRead: 'STATE_READ',
  StateWrite: 'STATE_WRITE',
  StateCorrupt: 'STATE_CORRUPT',
  StateUnavailable: 'STATE_UNAVAILABLE',
  CursorRegression: 'CURSOR_REGRESSION',
  JobLocked: 'JOB_LOCKED',
  LockLost: 'LOCK_LOST',
  // target
  TargetUnreachable: 'TARGET_UNREACHABLE',
  TargetOutage: 'TARGET_OUTAGE',
  TargetAuth: 'TARGET_AUTH',
  TargetTls: 'TARGET_TLS',
  TlsVerify: 'TLS_VERIFY',
  RetryExpired: 'RETRY_EXPIRED',
  ResponseTooLarge: 'RESPONSE_TOO_LARGE',
  BadResponse: 'BAD_RESPONSE',
  ControlUnreachable: 'CONTROL_UNREACHABLE',
  // replay sequencing (contract §2)
  SequenceGap: 'SEQUENCE_GAP',
  SequenceGapUnclosable: 'SEQUENCE_GAP_UNCLOSABLE',
  SequenceUnresolvable: 'SEQUENCE_UNRESOLVABLE',
  NoStreamEpoch: 'NO_STREAM_EPOCH',
  // engine
  Poison: 'POISON',
  PartitionFailed: 'PARTITION_FAILED',
  WorkerCrashed: 'WORKER_CRASHED',
  WorkerProtocol: 'WORKER_PROTOCOL',
  SimNotSettled: 'SIM_NOT_SETTLED',
  SimFailed: 'SIM_FAILED',
} as const;
/** A code of the table, or an HTTP status the target or its control plane answered. */
export type ErrorCode =
  | (typeof ErrorCode)[keyof typeof ErrorCode]
  | `HTTP_${number}`
  | `CONTROL_HTTP_${number}`;

export interface ReplayErrorOptions {
  canRetry?: boolean;
  cause?: unknown;
  exitCode?: ExitCode;
  details?: Record<string, unknown>;
}

export class ReplayError extends Error {
  readonly code: ErrorCode;
  readonly canRetry: boolean;
  readonly exitCode: ExitCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: ReplayErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ReplayError';
    this.code = code;
    this.canRetry = opts.canRetry ?? false;
    this.exitCode = opts.exitCode ?? ExitCode.Failed;
    this.details = opts.details;
  }
}

/** Bad operator input (config, window, flags): names the field and the fix; exit 2, nothing sent. */
export class ConfigError extends ReplayError {
  readonly field: string;
  constructor(field: string, message: string, opts: Omit<ReplayErrorOptions, 'exitCode'> = {}) {
    super(ErrorCode.BadConfig, `${field}: ${message}`, { ...opts, exitCode: ExitCode.BadInput });
    this.name = 'ConfigError';
    this.field = field;
  }
}

/** The exhaustive end of a switch: reaching it is a bug (a value the types say cannot exist). */
export function unreachable(value: never, what: string): never {
  throw new ReplayError(ErrorCode.Bug, `unhandled ${what}: ${String(value)}`);
}

export function isReplayError(e: unknown): e is ReplayError {
  return e instanceof ReplayError;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
