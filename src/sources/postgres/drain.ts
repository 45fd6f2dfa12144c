/**
 * Pull a Readable in whatever it has buffered (a COPY chunk, or every row of one cursor fetch) and
 * wait only when it is empty: one await per fetch/chunk, never per row. The wait also races a
 * `stop` promise, so an abort wakes the reader at once even if the driver never finishes closing
 * (pg-cursor's close waits for a ReadyForQuery that a killed connection never sends).
 */
import type { Readable } from 'node:stream';

export async function* drain<T>(stream: Readable, stop: Promise<never>): AsyncGenerator<T[]> {
  let ended = false;
  let failed: { error: unknown } | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (error: unknown) => {
    failed = { error };
    notify();
  };
  stream.on('readable', notify);
  stream.on('end', onEnd);
  stream.on('close', notify);
  stream.on('error', onError);
  try {
    for (;;) {
      const items: T[] = [];
      for (let x = stream.read(); x !== null; x = stream.read()) items.push(x as T);
      if (items.length > 0) {
        yield items;
        continue;
      }
      if (failed) throw (failed as { error: unknown }).error;
      if (ended) return;
      if (stream.destroyed) {
        // The connection went away under the stream (terminated backend, restart): retryable.
        throw Object.assign(new Error('the Postgres stream closed before its end (connection lost)'), {
          code: 'ECONNRESET',
        });
      }
      await Promise.race([new Promise<void>((r) => (wake = r)), stop]);
    }
  } finally {
    stream.off('readable', notify);
    stream.off('end', onEnd);
    stream.off('close', notify);
    stream.off('error', onError);
    // Late errors from a stream we abandoned (connection closed under it) must not crash the process.
    stream.on('error', () => undefined);
  }
}
