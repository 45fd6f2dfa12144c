import { type DestinationStream, destination, type Logger, pino, stdSerializers } from 'pino';
import { displayUrl, redactSecrets } from './redact.js';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go: a file descriptor (default 2, stderr, so stdout stays free for command output) or a stream. */
  destination?: number | DestinationStream;
}

/**
 * Fields that hold a connection URL, at the top level or one object down (`{ source: { url } }`):
 * logged as `displayUrl` (scheme, host, port, path), never with user info or query string.
 */
const URL_KEYS = ['url', 'connectionString', 'databaseUrl', 'sourceUrl', 'stateUrl', 'targetUrl'];
export const redactedLogPaths: readonly string[] = URL_KEYS.flatMap((k) => [k, `*.${k}`]);

const redactUrl = (value: unknown): unknown => (typeof value === 'string' ? displayUrl(value) : value);

/** `err` keeps its shape (pino's serializer) with every string in it passed through redactSecrets. */
function redactErr(e: unknown): unknown {
  if (typeof e === 'string') return redactSecrets(e);
  if (e === null || typeof e !== 'object') return e;
  const out: Record<string, unknown> = { ...stdSerializers.err(e as Error) };
  for (const [k, v] of Object.entries(out)) if (typeof v === 'string') out[k] = redactSecrets(v);
  return out;
}

/** Structured JSON logs; callers scope them with `.child({ job, partition })`. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const dest = opts.destination;
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { app: 'ceptra-replay' },
      redact: { paths: [...redactedLogPaths], censor: redactUrl },
      serializers: { err: redactErr },
    },
    typeof dest === 'object' ? dest : destination({ fd: dest ?? 2, sync: false }),
  );
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
