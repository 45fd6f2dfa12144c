/**
 * The monoid module may import nothing outside itself (architecture.md), so it carries its own
 * error class with the same shape as `ReplayError` (stable `code`, `canRetry`, `cause`); callers
 * outside the module can wrap it. Every monoid error is a programming or input error: never retried.
 */
export const MonoidErrorCode = {
  BadMetric: 'MONOID_BAD_METRIC',
  BadState: 'MONOID_BAD_STATE',
  BadInput: 'MONOID_BAD_INPUT',
  Incompatible: 'MONOID_INCOMPATIBLE',
  BadPath: 'MONOID_BAD_PATH',
} as const;
export type MonoidErrorCode = (typeof MonoidErrorCode)[keyof typeof MonoidErrorCode];

export class MonoidError extends Error {
  readonly code: MonoidErrorCode;
  readonly canRetry = false;

  constructor(code: MonoidErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MonoidError';
    this.code = code;
  }
}
