import { destination, type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; defaults to stderr so stdout stays free for command output. */
  destination?: number;
}

/** Structured JSON logs; callers scope them with `.child({ job, partition })`. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    { level: opts.level ?? process.env.LOG_LEVEL ?? 'info', base: { app: 'ceptra-replay' } },
    destination({ fd: opts.destination ?? 2, sync: false }),
  );
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
