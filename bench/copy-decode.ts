/**
 * Micro-bench: COPY text chunks -> SourceEvents, the row-of-Buffers decoder this replaced (copied
 * below, as it was before issue 11 item 4) against the single-pass decoder (src copy-decode.ts),
 * in the same run on the same chunks.
 *
 *   npx tsx bench/copy-decode.ts [--rows 200000] [--rounds 7] [--record]
 *
 * Rows are generated in memory as a TimeZone=UTC, DateStyle=ISO session prints them (timestamptz
 * with the fraction's trailing zeros dropped, a text id, a text key, a ~200-byte jsonb document, a
 * schema-key column) and cut into 64 KiB chunks at arbitrary bytes, as socket reads cut them.
 * Each decoder cuts batches of 1000 and drops them once the chunk is done (as the reader yields).
 *
 * Printed per decoder: CPU ns/row (process user+system CPU, so a busy neighbour on the shared
 * cores does not count; median of the rounds, old and new interleaved, plus the range);
 * bytes allocated per row on the JS heap and off it (ArrayBuffer backing stores), measured in a
 * child process with --expose-gc and a young generation large enough that no GC runs during the
 * measured pass (checked; Node 20 has no `total_allocated_bytes` in v8.getHeapStatistics()).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { BatchBuilder } from '../src/sources/postgres/batcher.js';
import { CopyTextSplitter } from '../src/sources/postgres/copy-text.js';
import { rowDecoder } from '../src/sources/postgres/decode.js';
import { formatPgTimestamp, type TableMeta, timeCodec } from '../src/sources/postgres/index.js';
import type { BytesKind } from '../src/sources/postgres/types.js';
import { machine } from './lib.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROWS = arg('--rows', 200_000);
const ROUNDS = arg('--rounds', 7);
const ALLOC_ROWS = 20_000;
const CHUNK = 65_536;

// ---- the decoder before issue 11 item 4 (src/sources/postgres/copy-text.ts + decode.ts `copy`) ----

const TAB = 0x09;
const BS = 0x5c;
type CopyRow = (Buffer | null)[];
const simple: Record<number, number> = { 98: 8, 102: 12, 110: 10, 114: 13, 116: 9, 118: 11 };
const isOct = (c: number): boolean => c >= 0x30 && c <= 0x37;
const hexVal = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 87 : c >= 0x41 && c <= 0x46 ? c - 55 : -1;

function oldUnescape(buf: Buffer, start: number, end: number): Buffer | null {
  if (end - start === 2 && buf[start] === BS && buf[start + 1] === 0x4e) return null;
  const out = Buffer.allocUnsafe(end - start);
  let o = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c !== BS || i + 1 >= end) {
      out[o++] = c;
      continue;
    }
    const n = buf[++i]!;
    const mapped = simple[n];
    if (mapped !== undefined) {
      out[o++] = mapped;
    } else if (isOct(n)) {
      let v = n - 0x30;
      for (let k = 0; k < 2 && i + 1 < end && isOct(buf[i + 1]!); k++) v = v * 8 + (buf[++i]! - 0x30);
      out[o++] = v & 0xff;
    } else if (n === 0x78 && i + 1 < end && hexVal(buf[i + 1]!) >= 0) {
      let v = hexVal(buf[++i]!);
      if (i + 1 < end && hexVal(buf[i + 1]!) >= 0) v = v * 16 + hexVal(buf[++i]!);
      out[o++] = v;
    } else {
      out[o++] = n;
    }
  }
  return out.subarray(0, o);
}

function oldSplitRow(buf: Buffer, start: number, end: number, columns: number, escapes = true): CopyRow {
  const row: CopyRow = new Array(columns);
  let col = 0;
  if (!escapes) {
    let fieldStart = start;
    for (;;) {
      let tab = buf.indexOf(TAB, fieldStart);
      if (tab < 0 || tab > end) tab = end;
      if (col >= columns) throw new Error(`COPY row has more than ${columns} fields`);
      row[col++] = buf.subarray(fieldStart, tab);
      if (tab === end) break;
      fieldStart = tab + 1;
    }
  } else {
    let fieldStart = start;
    let escaped = false;
    for (let i = start; i <= end; i++) {
      const c = i === end ? TAB : buf[i]!;
      if (c === BS) {
        escaped = true;
        i++;
      } else if (c === TAB) {
        if (col >= columns) throw new Error(`COPY row has more than ${columns} fields`);
        row[col++] = escaped ? oldUnescape(buf, fieldStart, i) : buf.subarray(fieldStart, i);
        fieldStart = i + 1;
        escaped = false;
      }
    }
  }
  if (col !== columns) throw new Error(`COPY row has ${col} fields, expected ${columns}`);
  return row;
}

/** The old valid-row path of decode.ts `copy` (poison rows go to today's `copy`, which is unchanged). */
function oldCopy(m: TableMeta): (row: CopyRow, out: BatchBuilder) => void {
  const parse = m.eventTime.codec.parse;
  const copyBytes = (kind: BytesKind, f: Buffer): Buffer =>
    kind === 'bytea' ? Buffer.from(f.toString('latin1', 2), 'hex') : Buffer.from(f);
  const poison = rowDecoder(m, false).copy;
  return (row, out) => {
    const [t, id, k, pl, sk] = row;
    if (id === null || id!.length === 0 || k === null || pl === null || sk === null) return poison(row, out);
    out.event({
      tsNs: parse(t!.toString('latin1')),
      eventId: id!.toString('utf8'),
      key: copyBytes(m.key.kind, k!),
      payload: copyBytes(m.payload.kind, pl!),
      schemaKey: sk!.toString('utf8'),
    });
  };
}

// ---- data ----

const col = (name: string) => ({ name, quoted: name, type: 'x', base: 'x', attnum: 1, notNull: false });
function meta(payload: BytesKind): TableMeta {
  return {
    oid: 1,
    relkind: 'r',
    quoted: 'events',
    relname: 'events',
    partition: col('part'),
    eventTime: { ...col('event_time'), kind: 'timestamptz', codec: timeCodec('timestamptz', undefined) },
    eventId: { ...col('event_id'), kind: 'text', castTo: 'text' },
    key: { ...col('key'), kind: 'text' },
    payload: { ...col('payload'), kind: payload },
    schemaKey: { ...col('schema_key'), kind: 'text' },
    listPartitioned: false,
    sqlAscii: false,
  };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** One row as COPY text; jsonb prints keys by length then bytes, with ", " and ": ". */
function row(g: number, payload: BytesKind): string {
  const us = 1_704_067_200_000_000n + BigInt(Math.floor(g / 3) * 1000 + (g % 997));
  const t = formatPgTimestamp(us, true).replace(/\.?0+\+00$/, '+00');
  const doc =
    `{"qty": ${g % 7}, "sku": "${md5(String(g))}", "note": "${md5(String(g * 7)).slice(0, 24)}", ` +
    `"tags": ["replay", "bench", ${g % 13}], "user": "user-${g % 100_000}", "amount": ${((g % 10_000) * 1.37).toFixed(2)}, ` +
    `"channel": "web", "country": "DE", "currency": "EUR"}`;
  const p = payload === 'bytea' ? `\\\\x${Buffer.from(doc).toString('hex')}` : doc;
  return `${t}\tevt-${g}\ttenant-${g % 5000}\t${p}\tproto:1.0:abc123\n`;
}

function chunks(n: number, payload: BytesKind): Buffer[] {
  const text = Buffer.from(Array.from({ length: n }, (_, g) => row(g + 1, payload)).join(''));
  const out: Buffer[] = [];
  for (let i = 0; i < text.length; i += CHUNK) out.push(Buffer.from(text.subarray(i, i + CHUNK)));
  return out;
}

// ---- decoders under test ----

type Decode = (chunks: Buffer[], keep?: unknown[]) => number;

function oldDecoder(m: TableMeta): Decode {
  const decode = oldCopy(m);
  return (list, keep) => {
    const out = new BatchBuilder(0, 1000);
    const splitter = new CopyTextSplitter(5, oldSplitRow);
    const onRow = (r: CopyRow) => decode(r, out);
    let n = 0;
    for (const c of list) {
      splitter.push(c, onRow);
      n += drop(out, keep);
    }
    out.finish();
    return n + drop(out, keep);
  };
}

function newDecoder(m: TableMeta): Decode {
  const dec = rowDecoder(m, false);
  return (list, keep) => {
    const out = new BatchBuilder(0, 1000);
    const d = dec.copyStream();
    let n = 0;
    for (const c of list) {
      d.push(c, out);
      n += drop(out, keep);
    }
    d.finish();
    out.finish();
    return n + drop(out, keep);
  };
}

/** Takes the cut batches off the builder, as the reader yields them; `keep` holds them (allocation pass). */
function drop(out: BatchBuilder, keep?: unknown[]): number {
  let n = 0;
  for (const b of out.ready.splice(0)) {
    n += b.events.length;
    keep?.push(b);
  }
  return n;
}

// ---- allocation pass (child process) ----

async function allocChild(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const payload = process.argv[process.argv.indexOf('--alloc') + 1] as BytesKind;
  const m = meta(payload);
  const input = chunks(ALLOC_ROWS, payload);
  const result: Record<string, { heap: number; offHeap: number; gcs: number }> = {};
  const gcStarts: number[] = [];
  const obs = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) gcStarts.push(e.startTime);
  });
  obs.observe({ entryTypes: ['gc'] });
  for (const [name, d] of [
    ['old', oldDecoder(m)],
    ['new', newDecoder(m)],
  ] as const) {
    const runs: { heap: number; offHeap: number; gcs: number }[] = [];
    for (let r = 0; r < 4; r++) {
      d(input); // warm (JIT), then measure with nothing freed in between
      gc();
      // V8 frees ArrayBuffer backing stores on a concurrent sweeper after the GC: let it finish,
      // or the pass would count memory freed from the warm-up as negative allocation.
      await new Promise((res) => setTimeout(res, 200));
      const t0 = performance.now();
      const m0 = process.memoryUsage();
      const keep: unknown[] = [];
      const n = d(input, keep);
      const m1 = process.memoryUsage();
      const t1 = performance.now();
      await new Promise((res) => setTimeout(res, 10)); // deliver gc entries of the pass, if any
      if (n !== ALLOC_ROWS) throw new Error(`${name} decoded ${n} rows`);
      runs.push({
        heap: (m1.heapUsed - m0.heapUsed) / n,
        offHeap: (m1.arrayBuffers - m0.arrayBuffers) / n,
        gcs: gcStarts.filter((t) => t >= t0 && t <= t1).length,
      });
      keep.length = 0;
    }
    // The first runs still allocate code and feedback; the last is the steady state.
    result[name] = runs.at(-1)!;
  }
  obs.disconnect();
  process.stdout.write(JSON.stringify(result));
}

function allocation(payload: BytesKind): Record<string, { heap: number; offHeap: number; gcs: number }> {
  const out = execFileSync(
    process.execPath,
    [
      ...process.execArgv,
      '--expose-gc',
      '--min-semi-space-size=512',
      '--max-semi-space-size=512',
      process.argv[1]!,
      '--alloc',
      payload,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(out);
}

// ---- timing ----

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timing(payload: BytesKind): Record<string, number[]> {
  const m = meta(payload);
  const input = chunks(ROWS, payload);
  const ds = { old: oldDecoder(m), new: newDecoder(m) };
  const ns: Record<string, number[]> = { old: [], new: [] };
  for (const d of Object.values(ds)) d(input); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, d] of Object.entries(ds)) {
      // CPU time, not wall: the 2 shared cores have neighbours (GC helper threads count too).
      const c0 = process.cpuUsage();
      const n = d(input);
      const c = process.cpuUsage(c0);
      if (n !== ROWS) throw new Error(`${name} decoded ${n} rows, expected ${ROWS}`);
      ns[name]!.push(((c.user + c.system) * 1000) / n);
    }
  }
  return ns;
}

async function main(): Promise<void> {
  if (process.argv.includes('--alloc')) return allocChild();
  const lines = [
    '| rows | decoder | CPU ns/row (median) | CPU ns/row (range) | heap B/row | off-heap B/row |',
    '|---|---|---:|---|---:|---:|',
  ];
  for (const payload of ['json', 'bytea'] as const) {
    const rows = payload === 'json' ? 'jsonb payload' : 'bytea payload (escaped path)';
    const ns = timing(payload);
    const alloc = allocation(payload);
    for (const name of ['old', 'new']) {
      const a = alloc[name]!;
      if (a.gcs > 0) process.stderr.write(`warning: ${a.gcs} GCs during the ${name} allocation pass\n`);
      const xs = ns[name]!;
      lines.push(
        `| ${rows} | ${name === 'old' ? 'row of Buffers (before)' : 'single pass (now)'} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} | ${a.heap.toFixed(0)} | ${a.offHeap.toFixed(0)} |`,
      );
    }
    const speed = median(ns.old!) / median(ns.new!);
    const heap = alloc.old!.heap / alloc.new!.heap;
    lines.push(`| ${rows} | old/new | ${speed.toFixed(2)}× |  | ${heap.toFixed(2)}× |  |`);
  }
  const section = [
    '',
    `## COPY decode micro-bench (bench/copy-decode.ts, ${ROWS.toLocaleString('en-US')} rows × ${ROUNDS} rounds) — ${new Date().toISOString()}`,
    '',
    `Machine: ${machine()}. Command: \`npx tsx bench/copy-decode.ts --rows ${ROWS} --rounds ${ROUNDS}\`.`,
    `64 KiB chunks; allocation from a ${ALLOC_ROWS.toLocaleString('en-US')}-row pass with no GC inside it.`,
    '',
    ...lines,
    '',
  ].join('\n');
  process.stdout.write(`${section}\n`);
  if (process.argv.includes('--record')) await appendFile(new URL('./RESULTS.md', import.meta.url), section);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
