/**
 * `ceptra-replay dead-letters list|export|retry --config job.yaml`: inspect, export and re-drive
 * the job's dead letters (poison source rows, events that failed a client check, events the
 * target refused permanently).
 *
 * Retry sends each record as a REPLAY event WITHOUT `replay_stream`/`replay_seq`: it is not part
 * of a partition's contiguous sequence any more (the stream moved on past it). What makes a retry
 * idempotent is the target's event-id dedup (contract §3): the same event id with the same bytes
 * is acknowledged as a duplicate and not applied again. So a record already marked `sent` is
 * skipped unless named with --ids, and re-sending it then is harmless — inside the target's retry
 * window (`client_retry_window_s`, 600-1800 s); after it, CEPtra answers PERMANENT_RETRY_EXPIRED
 * or, if its dedup entry was evicted, could apply it again.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { ConfigError, ExitCode } from '../common/errors.js';
import { createLogger, type Logger } from '../common/logger.js';
import { formatNs, loadJobConfig } from '../config/index.js';
import type { DeadLetterQuery, StateStore, StoredDeadLetter } from '../engine/cursor.js';
import { checkEvent } from '../engine/poison.js';
import { createStateStore } from '../engine/state/index.js';
import type { Sink } from '../sinks/sink.js';
import type { SourceEvent } from '../sources/source.js';
import { action } from './exit.js';
import { openSink, portsConfig } from './job-context.js';

const PAGE = 1000;
/** Events per request on retry (one partition at a time). */
const RETRY_BATCH = 500;
export const RETRY_SENT = 'sent';

type Write = (text: string) => void;

/** Every record matching `q` (without limit), page by page in id order. */
async function* all(store: StateStore, job: string, q: Omit<DeadLetterQuery, 'limit'>) {
  let after: number | undefined;
  for (;;) {
    const page = await store.listDeadLetters(job, { ...q, limit: PAGE, ...(after ? { after } : {}) });
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.id;
  }
}

export function deadLetterJson(d: StoredDeadLetter): Record<string, unknown> {
  return {
    id: d.id,
    job: d.job,
    partition: d.partition,
    eventId: d.eventId,
    tsNs: d.tsNs?.toString() ?? null,
    time: d.tsNs === null ? null : formatNs(d.tsNs),
    reason: d.reason,
    schemaKey: d.schemaKey ?? null,
    keyB64: d.key?.toString('base64') ?? null,
    payloadB64: d.payload?.toString('base64') ?? null,
    raw: d.raw ?? null,
    createdAt: d.createdAt.toISOString(),
    retriedAt: d.retriedAt?.toISOString() ?? null,
    retryOutcome: d.retryOutcome,
  };
}

export function renderTable(rows: StoredDeadLetter[]): string {
  const head = ['id', 'partition', 'event id', 'time', 'reason', 'created', 'retry'];
  const cells = rows.map((d) => [
    String(d.id),
    String(d.partition),
    d.eventId ?? '(null)',
    d.tsNs === null ? '(null)' : formatNs(d.tsNs),
    d.reason,
    d.createdAt.toISOString(),
    d.retryOutcome ?? '',
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((x, i) => x.padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}

export async function listCommand(
  store: StateStore,
  job: string,
  opts: { partition?: number; reason?: string; limit: number; json: boolean },
  write: Write,
): Promise<number> {
  const rows = await store.listDeadLetters(job, {
    limit: opts.limit,
    ...(opts.partition !== undefined ? { partition: opts.partition } : {}),
    ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
  });
  if (opts.json) {
    write(`${JSON.stringify(rows.map(deadLetterJson), null, 2)}\n`);
  } else {
    const total = await store.countDeadLetters(job);
    write(`${renderTable(rows)}\n${rows.length} shown, ${total} dead letter(s) in job ${job}\n`);
  }
  return ExitCode.Done;
}

/** NDJSON, one record per line (base64 key/payload, raw row); returns the count. */
export async function exportCommand(store: StateStore, job: string, write: Write): Promise<number> {
  let n = 0;
  for await (const d of all(store, job, {})) {
    write(`${JSON.stringify(deadLetterJson(d))}\n`);
    n++;
  }
  return n;
}

export interface RetrySummary {
  selected: number;
  sent: number;
  /** Refused again (by the client check or the target), by reason. */
  failed: Record<string, number>;
  /** Cannot be sent: no key, payload, time or event id (e.g. a NULL-id source row). */
  unsendable: number;
  /** Already sent by an earlier retry and not named with --ids. */
  skipped: number;
}

function sendable(d: StoredDeadLetter): SourceEvent | null {
  if (d.key === undefined || d.payload === undefined || d.tsNs === null || d.eventId === null) return null;
  return { tsNs: d.tsNs, eventId: d.eventId, key: d.key, payload: d.payload, schemaKey: d.schemaKey ?? '' };
}

export async function retryDeadLetters(
  store: StateStore,
  sink: Sink,
  job: string,
  opts: { ids?: number[]; reason?: string; nowNs?: bigint; maxEventBytes?: number },
): Promise<RetrySummary> {
  const s: RetrySummary = { selected: 0, sent: 0, failed: {}, unsendable: 0, skipped: 0 };
  const byPartition = new Map<number, { d: StoredDeadLetter; e: SourceEvent }[]>();
  const outcomes = new Map<string, number[]>();
  const mark = (outcome: string, id: number) => {
    const list = outcomes.get(outcome) ?? [];
    list.push(id);
    outcomes.set(outcome, list);
    if (outcome === RETRY_SENT) s.sent++;
    else s.failed[outcome] = (s.failed[outcome] ?? 0) + 1;
  };
  const nowNs = opts.nowNs ?? BigInt(Date.now()) * 1_000_000n;
  const q = { ...(opts.ids ? { ids: opts.ids } : {}), ...(opts.reason ? { reason: opts.reason } : {}) };
  for await (const d of all(store, job, q)) {
    s.selected++;
    if (d.retryOutcome === RETRY_SENT && !opts.ids) {
      s.skipped++;
      continue;
    }
    const e = sendable(d);
    if (e === null) {
      s.unsendable++;
      continue;
    }
    const bad = checkEvent(e, {
      nowNs,
      ...(opts.maxEventBytes ? { maxEventBytes: opts.maxEventBytes } : {}),
    });
    if (bad !== null) {
      mark(bad, d.id);
      continue;
    }
    const list = byPartition.get(d.partition) ?? [];
    list.push({ d, e });
    byPartition.set(d.partition, list);
  }
  for (const [partition, list] of byPartition) {
    for (let i = 0; i < list.length; i += RETRY_BATCH) {
      const chunk = list.slice(i, i + RETRY_BATCH);
      // No replayStream/firstSeq: sent flagged REPLAY, deduplicated by event id (see the header).
      const ack = await sink.send({ partition, events: chunk.map((x) => x.e) });
      const refused = new Map(ack.rejected.map((r) => [r.index, r.reason]));
      for (let j = 0; j < chunk.length; j++) mark(refused.get(j) ?? RETRY_SENT, chunk[j]!.d.id);
    }
  }
  for (const [outcome, ids] of outcomes) await store.markDeadLettersRetried(job, ids, outcome);
  return s;
}

export function renderRetry(job: string, s: RetrySummary): string {
  const failed = Object.entries(s.failed)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [
    `dead-letters retry, job ${job}: ${s.selected} selected, ${s.sent} sent, ${Object.values(s.failed).reduce((a, b) => a + b, 0)} refused${failed ? ` (${failed})` : ''}, ${s.unsendable} cannot be sent (no key, payload, time or event id), ${s.skipped} already sent (name them with --ids to send again)`,
  ].join('\n');
}

function intOption(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min)
    throw new ConfigError(flag, `must be an integer ≥ ${min} (got "${v}")`);
  return n;
}

function idsOption(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const ids = v.split(',').map((x) => x.trim());
  if (ids.length === 0 || ids.some((x) => !/^\d+$/.test(x))) {
    throw new ConfigError('--ids', `expected dead-letter ids separated by commas, e.g. 12,13 (got "${v}")`);
  }
  return ids.map(Number);
}

interface CommonFlags {
  config: string;
  job?: string;
  logLevel?: string;
}

async function withStore<T>(
  flags: CommonFlags,
  fn: (
    store: StateStore,
    job: string,
    logger: Logger,
    config: Awaited<ReturnType<typeof loadJobConfig>>,
  ) => Promise<T>,
): Promise<T> {
  const logger = createLogger({ level: flags.logLevel ?? 'warn' });
  const config = await loadJobConfig(flags.config, flags.job ? { job: flags.job } : undefined);
  const store = createStateStore(config.state, { logger });
  try {
    await store.init();
    return await fn(store, config.job, logger, config);
  } finally {
    await store.close().catch(() => undefined);
  }
}

const stdout: Write = (t) => process.stdout.write(t);

export function registerDeadLettersCommand(program: Command): void {
  const dl = program
    .command('dead-letters')
    .description(
      'inspect, export and re-drive the dead letters of a job (poison events, permanent rejections)',
    );
  const common = (c: Command) =>
    c
      .requiredOption('-c, --config <file>', 'job config (YAML): the job id and its state store')
      .option('--job <id>', 'override job')
      .option('--log-level <level>', 'log level (trace|debug|info|warn|error)');

  common(dl.command('list').description('list dead letters as a table (or JSON)'))
    .option('--partition <p>', 'only this source partition')
    .option('--reason <reason>', 'only this reason')
    .option('--limit <n>', 'at most N rows', '100')
    .option('--json', 'print JSON instead of a table', false)
    .action(
      action(
        async (f: CommonFlags & { partition?: string; reason?: string; limit: string; json: boolean }) => {
          const partition = intOption('--partition', f.partition, 0);
          const limit = intOption('--limit', f.limit, 1)!;
          return withStore(f, (store, job) =>
            listCommand(
              store,
              job,
              {
                limit,
                json: f.json,
                ...(partition !== undefined ? { partition } : {}),
                ...(f.reason ? { reason: f.reason } : {}),
              },
              stdout,
            ),
          );
        },
      ),
    );

  common(dl.command('export').description('write every dead letter as NDJSON (base64 key/payload, raw row)'))
    .option('--out <file>', 'output file (default: stdout)')
    .action(
      action(async (f: CommonFlags & { out?: string }) =>
        withStore(f, async (store, job) => {
          if (!f.out) {
            await exportCommand(store, job, stdout);
            return ExitCode.Done;
          }
          const file = createWriteStream(f.out, { mode: 0o600 });
          await once(file, 'open');
          const n = await exportCommand(store, job, (t) => file.write(t));
          file.end();
          await once(file, 'finish');
          process.stderr.write(`exported ${n} dead letter(s) of job ${job} to ${f.out}\n`);
          return ExitCode.Done;
        }),
      ),
    );

  common(
    dl
      .command('retry')
      .description('re-check and re-send dead letters that can be sent; exit 0 only if all were sent'),
  )
    .option('--ids <ids>', 'only these ids (comma separated); re-sends even those already sent')
    .option('--reason <reason>', 'only this reason')
    .action(
      action(async (f: CommonFlags & { ids?: string; reason?: string }) => {
        const ids = idsOption(f.ids);
        return withStore(f, async (store, job, logger, config) => {
          // It writes the job's dead letters: not while a run of the job (or of the file) writes.
          const lock = await store.lock(job);
          const sink = await openSink(portsConfig(config), logger, new Registry()).catch(
            async (e: unknown) => {
              await lock.release();
              throw e;
            },
          );
          try {
            const s = await retryDeadLetters(store, sink, job, {
              ...(ids ? { ids } : {}),
              ...(f.reason ? { reason: f.reason } : {}),
            });
            stdout(`${renderRetry(job, s)}\n`);
            return s.sent === s.selected - s.skipped ? ExitCode.Done : ExitCode.Failed;
          } finally {
            await sink.close().catch(() => undefined);
            await lock.release();
          }
        });
      }),
    );
}
