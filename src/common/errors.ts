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

export interface ReplayErrorOptions {
  canRetry?: boolean;
  cause?: unknown;
  exitCode?: ExitCode;
  details?: Record<string, unknown>;
}

export class ReplayError extends Error {
  readonly code: string;
  readonly canRetry: boolean;
  readonly exitCode: ExitCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, opts: ReplayErrorOptions = {}) {
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
    super('BAD_CONFIG', `${field}: ${message}`, { ...opts, exitCode: ExitCode.BadInput });
    this.name = 'ConfigError';
    this.field = field;
  }
}

/** The target refused an event for good (PermanentDurability / PERMANENT_* / ERR_*): never retried. */
export class PermanentRejectionError extends ReplayError {
  readonly reason: string;
  readonly eventId: string | undefined;
  constructor(reason: string, message: string, opts: ReplayErrorOptions & { eventId?: string } = {}) {
    super('PERMANENT_REJECTION', message, { ...opts, canRetry: false });
    this.name = 'PermanentRejectionError';
    this.reason = reason;
    this.eventId = opts.eventId;
  }
}

export function isReplayError(e: unknown): e is ReplayError {
  return e instanceof ReplayError;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
