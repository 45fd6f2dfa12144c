/**
 * What `verify` prints: a text report for people, a JSON document (every divergent and missing
 * pane, and the gap windows a later `run --windows-from` takes), and a YAML fragment with the
 * gap windows for the job file.
 */

import { formatNs } from '../../common/civil.js';
import { ErrorCode, ExitCode, ReplayError } from '../../common/errors.js';
import type { PaneKey, TimeWindow } from '../../monoid/index.js';
import type { VerifyReport } from './verify-job.js';

export const GAP_REPORT_FORMAT = 'ceptra-replay.verify/1';

function paneRange(k: PaneKey, paneNs: bigint): string {
  const start = k.pane * paneNs;
  return `[${formatNs(start)}, ${formatNs(start + paneNs)})`;
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
}

/** `<job>-gap-<n>` (a gap job of a gap job counts from the original job's name). */
export function gapJobName(job: string, n: number): string {
  return `${job.replace(/-gap-\d+$/, '')}-gap-${n}`;
}

export function renderVerifyText(
  r: VerifyReport,
  opts: { maxListed: number; suggestedJob?: string },
): string {
  const lines: string[] = [];
  const missing = r.missingInTarget.length + r.missingInSource.length;
  lines.push(
    `verify ${r.job}: ${r.ok ? 'IDENTICAL' : 'DIVERGENT'} — ${r.compared} panes compared, ${r.identical} identical, ${r.divergent.length} divergent, ${r.missingInTarget.length} missing on the target, ${r.missingInSource.length} missing on the source`,
    `  partitions ${r.partitions.length}: stored fold ${r.stored.length}, re-read ${r.reread.length} partition(s) from the source (${r.rereadEvents} events); metrics ${r.metrics.join(', ')}`,
  );
  if (r.sourceOnly.length) lines.push(`  not compared (job only): ${r.sourceOnly.join(', ')}`);
  if (r.targetOnly.length) lines.push(`  not compared (target only): ${r.targetOnly.join(', ')}`);
  if (r.unfinished.length)
    lines.push(
      `  warning: partitions not finished yet (their tail cannot match): ${r.unfinished.join(', ')}`,
    );
  let listed = 0;
  for (const d of r.divergent) {
    if (listed++ >= opts.maxListed) break;
    lines.push(
      `  divergent  partition ${d.partition} ${d.metric} ${paneRange(d, r.paneNs)}: source ${show(d.source)}, target ${show(d.target)}`,
    );
  }
  for (const [side, list] of [
    ['target', r.missingInTarget],
    ['source', r.missingInSource],
  ] as const) {
    for (const k of list) {
      if (listed++ >= opts.maxListed) break;
      lines.push(`  missing on the ${side}  partition ${k.partition} ${k.metric} ${paneRange(k, r.paneNs)}`);
    }
  }
  const total = r.divergent.length + missing;
  if (total > opts.maxListed) lines.push(`  … ${total - opts.maxListed} more (all of them in --json)`);
  if (!r.ok) {
    lines.push(
      `  gap: ${r.gapWindows.length} window(s) to replay${opts.suggestedJob ? ` as job ${opts.suggestedJob}` : ''} (--windows-out gap.yaml, or run --windows-from <verify --json>):`,
    );
    for (const w of r.gapWindows.slice(0, opts.maxListed))
      lines.push(`    ${formatNs(w.startNs)} .. ${formatNs(w.endNs)}`);
  }
  return lines.join('\n');
}

const windowJson = (w: TimeWindow) => ({
  start: formatNs(w.startNs),
  end: formatNs(w.endNs),
  startNs: w.startNs.toString(),
  endNs: w.endNs.toString(),
});

const keyJson = (k: PaneKey, paneNs: bigint) => ({
  partition: k.partition,
  metric: k.metric,
  pane: k.pane.toString(),
  ...windowJson({ startNs: k.pane * paneNs, endNs: (k.pane + 1n) * paneNs }),
});

/** The `--json` document; `gapWindows` + `suggestedJob` are what `run --windows-from` reads. */
export function verifyReportJson(r: VerifyReport, suggestedJob: string | null): Record<string, unknown> {
  return {
    format: GAP_REPORT_FORMAT,
    job: r.job,
    result: r.ok ? 'identical' : 'divergent',
    paneNs: r.paneNs.toString(),
    windows: r.windows.map(windowJson),
    partitions: r.partitions,
    storedFoldPartitions: r.stored,
    rereadPartitions: r.reread,
    rereadEvents: r.rereadEvents,
    unfinishedPartitions: r.unfinished,
    metrics: r.metrics,
    notCompared: { jobOnly: r.sourceOnly, targetOnly: r.targetOnly },
    compared: r.compared,
    identical: r.identical,
    divergent: r.divergent.map((d) => ({
      ...keyJson(d, r.paneNs),
      source: JSON.parse(show(d.source)),
      target: JSON.parse(show(d.target)),
    })),
    missingInTarget: r.missingInTarget.map((k) => keyJson(k, r.paneNs)),
    missingInSource: r.missingInSource.map((k) => keyJson(k, r.paneNs)),
    gapWindows: r.gapWindows.map(windowJson),
    suggestedJob,
  };
}

/** YAML fragment for the job file: a new job id and `windows:` (replaces `window:`). */
export function gapWindowsYaml(r: VerifyReport, suggestedJob: string): string {
  return [
    `# ceptra-replay verify ${r.job}: ${r.gapWindows.length} window(s) with divergent or missing panes.`,
    `# Paste into a copy of the job file in place of window:/windows:, under a new job id`,
    `# (the windows change the job's spec hash, so the gap replay is a new job).`,
    `job: ${suggestedJob}`,
    'windows:',
    ...r.gapWindows.map((w) => `  - { start: ${formatNs(w.startNs)}, end: ${formatNs(w.endNs)} }`),
    '',
  ].join('\n');
}

/**
 * Windows (and the suggested job id) from a `verify --json` document or a plain list of
 * `{start, end}`; throws a message naming what is wrong.
 */
export function readGapWindows(doc: unknown): { windows: { start: string; end: string }[]; job?: string } {
  const list = Array.isArray(doc) ? doc : (doc as { gapWindows?: unknown } | null)?.gapWindows;
  if (!Array.isArray(list))
    throw badWindows('expected a `verify --json` document (with gapWindows) or a list of {start, end}');
  if (list.length === 0) throw badWindows('no windows to replay (the verification found nothing divergent)');
  const windows = list.map((w: unknown, i) => {
    const o = w as { start?: unknown; end?: unknown } | null;
    if (typeof o?.start !== 'string' || typeof o?.end !== 'string')
      throw badWindows(`window [${i}] needs start and end as RFC 3339 strings (got ${JSON.stringify(w)})`);
    return { start: o.start, end: o.end };
  });
  const job = (doc as { suggestedJob?: unknown } | null)?.suggestedJob;
  return typeof job === 'string' && !Array.isArray(doc) ? { windows, job } : { windows };
}

function badWindows(message: string): ReplayError {
  return new ReplayError(ErrorCode.BadConfig, message, { exitCode: ExitCode.BadInput });
}
