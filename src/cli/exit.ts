/**
 * How commands end: a ReplayError prints its one-paragraph message (no stack) and exits with
 * its code (2 bad input, 1 failure, 3 interrupted, 4 divergent); anything else is a bug and
 * prints its stack with exit 1.
 */
import { ExitCode, isReplayError } from '../common/errors.js';

export function reportAndExit(err: unknown): never {
  if (isReplayError(err)) {
    process.stderr.write(`ceptra-replay: ${err.message}\n`);
    if (process.env.CEPTRA_REPLAY_DEBUG && err.cause) process.stderr.write(`cause: ${String(err.cause)}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`ceptra-replay: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(ExitCode.Failed);
}

/** Wraps a commander action so every failure goes through reportAndExit. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<number | undefined>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? 0;
    } catch (err) {
      reportAndExit(err);
    }
  };
}
