/**
 * The one retry policy of the project, two laws: a wait the other side hinted (`retry_backoff_ms`
 * per contract §2 rule 2 as jitter in [b/2, b]; `Retry-After` / `retry_after_ms` as given),
 * always capped at MAX_HINTED_WAIT_MS; and, without a hint, capped exponential backoff with full
 * jitter (`expBackoffMs`) — for HTTP-level failures in the sink (50 ms … 5 s) and for a partition
 * paused on an outage in the engine (200 ms … 10 s).
 */
import { MAX_HINTED_WAIT_MS } from './contract.js';
import { ErrorCode, ReplayError } from './errors.js';

/**
 * Contract §2 rule 2: uniform in `[retry_backoff_ms/2, retry_backoff_ms]`, or in
 * `[defaultMin, defaultMax]` (25–50 ms) when the hint is absent or 0.
 */
export function hintBackoffMs(
  retryBackoffMs: number | null,
  random: () => number,
  defaultMin = 25,
  defaultMax = 50,
): number {
  if (retryBackoffMs !== null && retryBackoffMs > 0) {
    const hint = Math.min(retryBackoffMs, MAX_HINTED_WAIT_MS);
    return hint / 2 + random() * (hint / 2);
  }
  return defaultMin + random() * (defaultMax - defaultMin);
}

/** Full jitter: uniform in `[0, min(cap, base·2^failures))`, failures counted from 0. */
export function expBackoffMs(failures: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(failures, 30));
  return random() * ceiling;
}

/**
 * `Retry-After`: delta-seconds (decimals tolerated) or an HTTP date. Returns ms ≥ 0, or null when
 * absent or unparseable.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  nowEpochMs: number = Date.now(),
): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return null;
  const t = v.trim();
  if (t === '') return null;
  if (/^\d+(\.\d+)?$/.test(t)) return Math.min(Math.round(Number(t) * 1000), MAX_HINTED_WAIT_MS);
  if (!/[a-z]/i.test(t)) return null; // an HTTP date names its day and month
  const at = Date.parse(t);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(0, at - nowEpochMs), MAX_HINTED_WAIT_MS);
}

export function abortedError(signal: AbortSignal | undefined): ReplayError {
  return new ReplayError(ErrorCode.Aborted, 'send aborted', { cause: signal?.reason });
}

/** Sleep that rejects with ReplayError('ABORTED') as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
