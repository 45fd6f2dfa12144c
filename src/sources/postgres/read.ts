/**
 * One ordered reader per partition: a keyset scan on one pooled client, yielding EventBatches of
 * exactly `batchSize` rows — events plus poison rows, in source order (the last one smaller).
 *
 * Back-pressure: batches are produced only while the consumer pulls. When it stops, the generator
 * sits at `yield`, the stream's buffer fills (COPY: its highWaterMark; cursor: one fetch of
 * `fetchRows`) and the socket is paused, so memory stays bounded whatever the window holds.
 * Abort and an early `return()` destroy the stream and release the client with `release(true)`
 * (the connection is mid-COPY / mid-portal, so it is closed rather than reused); no client leaks.
 */
import type { Readable } from 'node:stream';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import QueryStream from 'pg-query-stream';
import {
  type EventBatch,
  type ReadOptions,
  readBatchSize,
  type SourcePosition,
  type TimeWindow,
} from '../source.js';
import { BatchBuilder, type HeldRows } from './batcher.js';
import type { RowDecoder } from './decode.js';
import { drain } from './drain.js';
import { classifyPgError } from './errors.js';
import { copyOut, nullIdsAtQuery, readQuery } from './sql.js';
import type { TableMeta } from './types.js';

export type ReadMethod = 'copy' | 'cursor';

export interface ReaderContext {
  pool: pg.Pool;
  meta: TableMeta;
  decoder: RowDecoder;
  method: ReadMethod;
  fetchRows: number;
}

/** Every column arrives as its text form: pg's own parsers cost ~25 µs/row (see decode.ts). */
const rawText = { getTypeParser: () => (v: string) => v };

async function* copyBatches(
  ctx: ReaderContext,
  chunks: AsyncIterable<Buffer[]>,
  out: BatchBuilder,
  signal: AbortSignal | undefined,
): AsyncGenerator<EventBatch> {
  const decoder = ctx.decoder.copyStream();
  for await (const list of chunks) {
    for (const chunk of list) decoder.push(chunk, out);
    yield* flush(out, signal);
  }
  decoder.finish();
  out.finish();
  yield* flush(out, signal);
}

async function* cursorBatches(
  ctx: ReaderContext,
  rows: AsyncIterable<(string | null)[][]>,
  out: BatchBuilder,
  signal: AbortSignal | undefined,
): AsyncGenerator<EventBatch> {
  const decode = ctx.decoder.text;
  for await (const list of rows) {
    for (const row of list) decode(row, out);
    yield* flush(out, signal);
  }
  out.finish();
  yield* flush(out, signal);
}

/** Yields the full batches cut so far (at most one network chunk / one fetch of rows). */
function* flush(out: BatchBuilder, signal: AbortSignal | undefined): Generator<EventBatch> {
  const ready = out.ready;
  while (ready.length > 0) {
    yield ready.shift()!;
    signal?.throwIfAborted();
  }
}

/**
 * On an exact resume position: the NULL-id rows at that time, as poison held for their sort
 * position. Read through COPY like the main scan, so the bytes are exact whatever the method.
 */
async function heldNullIds(
  ctx: ReaderContext,
  client: pg.PoolClient,
  partition: number,
  from: SourcePosition | null,
  window: TimeWindow,
): Promise<HeldRows | null> {
  if (from === null || ctx.meta.eventId.notNull) return null;
  const q = nullIdsAtQuery(ctx.meta, partition, from, window);
  if (q === null) return null;
  const chunks: Buffer[] = [];
  for await (const c of client.query(copyStreams.to(copyOut(q.text)))) chunks.push(c as Buffer);
  if (chunks.length === 0) return null;
  const probe = new BatchBuilder(partition, Number.MAX_SAFE_INTEGER);
  const decoder = ctx.decoder.copyStream();
  for (const c of chunks) decoder.push(c, probe);
  decoder.finish();
  return { afterNs: from.tsNs, rows: probe.poison };
}

export async function* readPartition(
  ctx: ReaderContext,
  partition: number,
  from: SourcePosition | null,
  window: TimeWindow,
  opts: ReadOptions,
): AsyncGenerator<EventBatch> {
  const batchSize = readBatchSize(opts);
  const { signal } = opts;
  signal?.throwIfAborted();
  let client: pg.PoolClient;
  try {
    client = await ctx.pool.connect();
  } catch (e) {
    throw classifyPgError(e);
  }
  let stream: Readable | undefined;
  let released = false;
  const release = (destroy: boolean) => {
    if (released) return;
    released = true;
    client.release(destroy);
  };
  let rejectStop: (e: unknown) => void = () => undefined;
  const stop = new Promise<never>((_, reject) => {
    rejectStop = reject;
  });
  stop.catch(() => undefined);
  const onAbort = () => {
    stream?.destroy();
    release(true);
    rejectStop(signal?.reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  // A connection that dies between cursor fetches is reported on the client, not on the stream;
  // without this the reader would wait forever for rows that will never come.
  const onClientError = (e: unknown) => {
    stream?.destroy();
    rejectStop(e);
  };
  const onClientEnd = () =>
    onClientError(Object.assign(new Error('the Postgres connection ended mid-read'), { code: 'ECONNRESET' }));
  client.on('error', onClientError);
  client.on('end', onClientEnd);
  let clean = false;
  try {
    signal?.throwIfAborted();
    // SQL_ASCII stores text as raw bytes; with a UTF8 client encoding the server would refuse to
    // send a non-UTF-8 value (SQLSTATE 22021) and fail the whole read, so this reader takes the
    // bytes unconverted and the decoder reports such payloads as poison instead.
    if (ctx.meta.sqlAscii) await client.query("SET client_encoding TO 'SQL_ASCII'");
    const held = await heldNullIds(ctx, client, partition, from, window);
    const out = new BatchBuilder(partition, batchSize, held);
    if (ctx.method === 'copy') {
      const q = readQuery(ctx.meta, partition, from, window, 'inline');
      stream = client.query(copyStreams.to(copyOut(q.text)));
      yield* copyBatches(ctx, drain<Buffer>(stream, stop), out, signal);
    } else {
      const q = readQuery(ctx.meta, partition, from, window, 'params');
      const qs = new QueryStream(q.text, q.values, {
        batchSize: ctx.fetchRows,
        rowMode: 'array',
        types: rawText,
      });
      stream = client.query(qs);
      yield* cursorBatches(ctx, drain<(string | null)[]>(stream, stop), out, signal);
    }
    clean = true;
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw classifyPgError(e);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    client.off('error', onClientError);
    client.off('end', onClientEnd);
    if (!clean) stream?.destroy();
    release(!clean);
  }
}
