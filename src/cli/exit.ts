/**
 * How commands end: a ReplayError prints its one-paragraph message (no stack) and exits with
 * its code (2 bad input, 1 failure, 3 interrupted, 4 divergent); a network error that no
 * component classified (an errno such as ECONNREFUSED) prints one line with exit 1; anything
 * else is a bug and prints its stack with exit 1. Whatever is printed goes through redactSecrets.
 */
import { ExitCode, isReplayError } from '../common/errors.js';
import { networkFailure, oneLine } from '../common/net-errors.js';
import { redactSecrets } from '../common/redact.js';

export function reportAndExit(err: unknown): never {
  if (isReplayError(err)) {
    process.stderr.write(`ceptra-replay: ${redactSecrets(err.message)}\n`);
    if (process.env.CEPTRA_REPLAY_DEBUG && err.cause)
      process.stderr.write(`cause: ${redactSecrets(String(err.cause))}\n`);
    process.exit(err.exitCode);
  }
  const net = networkFailure(err);
  if (net) {
    process.stderr.write(
      `ceptra-replay: network error: ${oneLine(redactSecrets(net.message))} (${net.what}); check that the service at that address is up and reachable from this host, then run again\n`,
    );
    process.exit(ExitCode.Failed);
  }
  process.stderr.write(
    `ceptra-replay: unexpected error: ${redactSecrets((err as Error)?.stack ?? String(err))}\n`,
  );
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
