/**
 * Options of the CEPtra ingest client. Defaults follow the contract (§2 client behaviour):
 * 256 events / 10 MiB initial window, ×1.25 per 500 ms growth, 25–50 ms default jitter.
 */
import { readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import { ConfigError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { AttemptInfo, CeptraTransport } from './types.js';

export const SendMode = { Batch: 'batch', Single: 'single' } as const;
export type SendMode = (typeof SendMode)[keyof typeof SendMode];

export const BatchEncoding = { Ndjson: 'ndjson', Json: 'json' } as const;
export type BatchEncoding = (typeof BatchEncoding)[keyof typeof BatchEncoding];

/** A PEM given inline (string or Buffer) or read from a file path. */
export type PemSource = Buffer | string | { path: string };

export interface CeptraTlsOptions {
  ca?: PemSource;
  /** Client certificate for mTLS (SPIFFE identity). */
  cert?: PemSource;
  key?: PemSource;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface CeptraClientOptions {
  /** Base URL of the CEPtra ingest/control API, e.g. `https://ceptra:8443`. */
  url: string;
  /** Keep-alive connections in the undici Pool. */
  connections: number;
  /** HTTP/1.1 pipelining depth per connection (1 = none). */
  pipelining: number;
  /** Pipelining depth of a replay stream's own ordered connection (1 = one request at a time; see transport.ts). */
  lanePipelining: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Largest response body read; a larger one fails the request (RESPONSE_TOO_LARGE, not retried). */
  maxResponseBytes: number;
  connectTimeoutMs: number;
  keepAliveTimeoutMs: number;
  tls: CeptraTlsOptions | undefined;
  /** `batch` → `POST /append/batch`; `single` → pipelined `POST /append`. */
  mode: SendMode;
  batchEncoding: BatchEncoding;
  /** Add `flags: ["REPLAY"]` to every event. */
  replayFlag: boolean;
  /** Send `replay_stream`/`replay_seq`: `auto` asks `GET /v1/state`. */
  sequencing: boolean | 'auto';
  initialWindowEvents: number;
  maxWindowBytes: number;
  /** Jitter used on TransientBackpressure when the hint has no (or 0) `retry_backoff_ms`. */
  defaultBackoffMinMs: number;
  defaultBackoffMaxMs: number;
  /** Capped exponential backoff with full jitter for 5xx / network errors. */
  retryBaseMs: number;
  retryCapMs: number;
  /** Give up HTTP-level retries after this long (ReplayError canRetry=true); null = never. */
  maxRetryDurationMs: number | null;
  /** `job` label on metrics. */
  job: string;
  registry: Registry | undefined;
  logger: Logger | undefined;
  headers: Record<string, string>;
  onAttempt: ((info: AttemptInfo) => void) | undefined;
  /** Injected for tests: transport (default: undici Pool), clock, RNG, sleep. */
  transport: CeptraTransport | undefined;
  now: () => number;
  random: () => number;
  sleep: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

export const defaultCeptraClientOptions = {
  url: 'http://127.0.0.1:8080',
  connections: 8,
  pipelining: 1,
  lanePipelining: 1,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  // A 10,000-event batch answer is ~2.5 MB; 64 MiB leaves room for any batch the window allows.
  maxResponseBytes: 64 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  keepAliveTimeoutMs: 30_000,
  tls: undefined,
  mode: SendMode.Batch,
  batchEncoding: BatchEncoding.Ndjson,
  replayFlag: true,
  sequencing: 'auto',
  initialWindowEvents: 256,
  maxWindowBytes: 10 * 1024 * 1024,
  defaultBackoffMinMs: 25,
  defaultBackoffMaxMs: 50,
  retryBaseMs: 50,
  retryCapMs: 5_000,
  maxRetryDurationMs: null,
  job: 'replay',
  registry: undefined,
  logger: undefined,
  headers: {},
  onAttempt: undefined,
  transport: undefined,
  now: () => performance.now(),
  random: Math.random,
  sleep: undefined,
} satisfies CeptraClientOptions;

const F = 'ceptra';

function positiveInt(o: CeptraClientOptions, k: keyof CeptraClientOptions, min = 1): void {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ConfigError(`${F}.${k}`, `must be an integer ≥ ${min} (got ${String(v)})`);
  }
}

function nonNegative(o: CeptraClientOptions, k: keyof CeptraClientOptions): void {
  const v = o[k];
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
    throw new ConfigError(`${F}.${k}`, `must be a number ≥ 0 (got ${String(v)})`);
  }
}

/** Merge over the defaults and validate; errors name the field and the fix. */
export function resolveCeptraClientOptions(
  input: Partial<CeptraClientOptions>,
): Readonly<CeptraClientOptions> {
  const o: CeptraClientOptions = { ...defaultCeptraClientOptions, ...stripUndefined(input) };
  let url: URL;
  try {
    url = new URL(o.url);
  } catch (e) {
    throw new ConfigError(`${F}.url`, `must be an absolute http(s) URL (got ${JSON.stringify(o.url)})`, {
      cause: e,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${F}.url`, `protocol must be http: or https: (got ${url.protocol})`);
  }
  for (const k of [
    'connections',
    'pipelining',
    'lanePipelining',
    'initialWindowEvents',
    'maxWindowBytes',
    'maxResponseBytes',
  ] as const)
    positiveInt(o, k);
  for (const k of [
    'headersTimeoutMs',
    'bodyTimeoutMs',
    'connectTimeoutMs',
    'keepAliveTimeoutMs',
    'defaultBackoffMinMs',
    'defaultBackoffMaxMs',
    'retryBaseMs',
    'retryCapMs',
  ] as const) {
    nonNegative(o, k);
  }
  if (o.defaultBackoffMaxMs < o.defaultBackoffMinMs) {
    throw new ConfigError(
      `${F}.defaultBackoffMaxMs`,
      `must be ≥ defaultBackoffMinMs (${o.defaultBackoffMinMs})`,
    );
  }
  if (o.retryCapMs < o.retryBaseMs) {
    throw new ConfigError(`${F}.retryCapMs`, `must be ≥ retryBaseMs (${o.retryBaseMs})`);
  }
  if (o.maxRetryDurationMs !== null && !(o.maxRetryDurationMs > 0)) {
    throw new ConfigError(
      `${F}.maxRetryDurationMs`,
      `must be > 0 or null for unbounded (got ${o.maxRetryDurationMs})`,
    );
  }
  if (!Object.values(SendMode).includes(o.mode)) {
    throw new ConfigError(
      `${F}.mode`,
      `must be one of ${Object.values(SendMode).join(', ')} (got ${String(o.mode)})`,
    );
  }
  if (!Object.values(BatchEncoding).includes(o.batchEncoding)) {
    throw new ConfigError(
      `${F}.batchEncoding`,
      `must be one of ${Object.values(BatchEncoding).join(', ')} (got ${String(o.batchEncoding)})`,
    );
  }
  if (o.sequencing !== 'auto' && typeof o.sequencing !== 'boolean') {
    throw new ConfigError(`${F}.sequencing`, `must be true, false or "auto" (got ${String(o.sequencing)})`);
  }
  return Object.freeze(o);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Read a PEM source: Buffer/string as is, `{path}` from disk (field named on failure). */
export function loadPem(field: string, src: PemSource | undefined): Buffer | string | undefined {
  if (src === undefined) return undefined;
  if (typeof src === 'string' || Buffer.isBuffer(src)) return src;
  try {
    return readFileSync(src.path);
  } catch (e) {
    throw new ConfigError(`${F}.tls.${field}`, `cannot read ${src.path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}
