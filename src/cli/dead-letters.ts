/**
 * `ceptra-replay dead-letters list|export|retry --config job.yaml`: inspect, export and re-drive
 * the job's dead letters (poison source rows, events that failed a client check, events the
 * target refused permanently). Re-driving: src/engine/dead-letter-retry.ts.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import { retryJobDeadLetters, withJobStore } from '../app/index.js';
import { ConfigError, ExitCode } from '../common/errors.js';
import { createLogger, type Logger } from '../common/logger.js';
import { formatNs, type JobConfig, loadJobConfig } from '../config/index.js';
import type { StateStore, StoredDeadLetter } from '../engine/cursor.js';
import { allDeadLetters, deadLetterJson, type RetrySummary } from '../engine/dead-letters.js';
import { action } from './exit.js';

type Write = (text: string) => void;

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
  for await (const d of allDeadLetters(store, job, {})) {
    write(`${JSON.stringify(deadLetterJson(d))}\n`);
    n++;
  }
  return n;
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
  fn: (store: StateStore, job: string, logger: Logger, config: JobConfig) => Promise<T>,
): Promise<T> {
  const logger = createLogger({ level: flags.logLevel ?? 'warn' });
  const config = await loadJobConfig(flags.config, flags.job ? { job: flags.job } : undefined);
  return withJobStore(config, logger, (store) => fn(store, config.job, logger, config));
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
        const logger = createLogger({ level: f.logLevel ?? 'warn' });
        const config = await loadJobConfig(f.config, f.job ? { job: f.job } : undefined);
        const s = await retryJobDeadLetters(config, logger, {
          ...(ids ? { ids } : {}),
          ...(f.reason ? { reason: f.reason } : {}),
        });
        stdout(`${renderRetry(config.job, s)}\n`);
        return s.sent === s.selected - s.skipped ? ExitCode.Done : ExitCode.Failed;
      }),
    );
}
