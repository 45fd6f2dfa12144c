/**
 * Creates and fills a synthetic events table. Rows stream into `COPY … FROM STDIN` (text
 * format) in ~64 KiB chunks through `pipeline`, which honours the COPY stream's back-pressure,
 * so memory stays flat for any row count; the index is built after the load, then ANALYZE.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { escapeCopyText, formatTimestampUs, quoteName } from './copy-text.js';
import { createIndexSql, createTableSql } from './ddl.js';
import { type ResolvedSeedOptions, resolveSeedOptions, type SeedOptions } from './options.js';
import { payloadGenerator, rowShapes, textEventId } from './rows.js';

export interface SeedResult {
  table: string;
  rows: number;
  perPartition: number[];
  /** Bytes of COPY text sent. */
  bytes: number;
  seconds: number;
  rowsPerSec: number;
}

const CHUNK_BYTES = 64 * 1024;

function* copyChunks(
  o: ResolvedSeedOptions,
  perPartition: number[],
  sent: { bytes: number },
): Generator<string> {
  const payloadOf = payloadGenerator(o);
  const schemaKey = escapeCopyText(o.schemaKey);
  let lines: string[] = [];
  let size = 0;
  for (const r of rowShapes(o)) {
    perPartition[r.partition]!++;
    const id = o.eventIdType === 'bigint' ? String(r.index + 1) : textEventId(o.seed, r.index);
    const line = `${r.partition}\t${formatTimestampUs(r.tsUs)}\t${id}\tuser-${r.keyIndex}\t${escapeCopyText(payloadOf(r))}\t${schemaKey}\n`;
    lines.push(line);
    size += line.length;
    if (size >= CHUNK_BYTES) {
      const chunk = lines.join('');
      sent.bytes += Buffer.byteLength(chunk);
      yield chunk;
      lines = [];
      size = 0;
    }
  }
  if (lines.length) {
    const chunk = lines.join('');
    sent.bytes += Buffer.byteLength(chunk);
    yield chunk;
  }
}

export async function seedEvents(url: string, opts: SeedOptions): Promise<SeedResult> {
  const o = resolveSeedOptions(opts);
  const started = performance.now();
  const perPartition = new Array<number>(o.partitions).fill(0);
  const sent = { bytes: 0 };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Seed data is reproducible from its seed: no need to wait for the WAL flush per commit.
    await client.query('SET synchronous_commit = off');
    for (const sql of createTableSql(o)) await client.query(sql);
    const columns = 'part_id, event_time, event_id, key, payload, schema_key';
    const copy = client.query(copyFrom(`COPY ${quoteName(o.table)} (${columns}) FROM STDIN`));
    await pipeline(Readable.from(copyChunks(o, perPartition, sent), { objectMode: false }), copy);
    for (const sql of createIndexSql(o)) await client.query(sql);
  } finally {
    await client.end();
  }
  const seconds = (performance.now() - started) / 1000;
  const result = {
    table: o.table,
    rows: o.rows,
    perPartition,
    bytes: sent.bytes,
    seconds,
    rowsPerSec: seconds > 0 ? Math.round(o.rows / seconds) : o.rows,
  };
  o.logger?.info({ ...result, perPartition: undefined }, 'seeded synthetic events');
  return result;
}
