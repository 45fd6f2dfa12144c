/**
 * `ceptra-replay plan --config job.yaml [--json out.json]`: the dry run. Nothing is sent; every
 * guardrail that `run` enforces fails here first.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Logger } from '../common/logger.js';
import { createLogger } from '../common/logger.js';
import { type JobConfig, loadJobConfig } from '../config/index.js';
import { type JobPlan, nsToIso, planJob, toJson } from '../engine/planner.js';
import { createStateStore } from '../engine/state/index.js';
import { action } from './exit.js';
import { addJobFlags, configOverrides, type JobFlags } from './flags.js';
import { jobSpec, openSource, scanPartitions } from './job-context.js';
import { preflight } from './preflight.js';
import { formatDuration } from './progress.js';

export async function buildPlan(config: JobConfig, logger: Logger, exact: boolean): Promise<JobPlan> {
  const source = await openSource(config, logger);
  const store = await createStateStore(config.state, { logger });
  try {
    await store.init();
    const { ids: partitions, perWindow } = await scanPartitions(config, source);
    const checks = await preflight(config, source, partitions, logger);
    const plan = await planJob(source, store, jobSpec(config, partitions), {
      rate: config.guardrails.rate,
      exact,
      ...(perWindow ? { known: perWindow } : {}),
      notes: checks.notes,
      warnings: checks.warnings,
    });
    for (const p of plan.partitions) p.accessPath ??= checks.accessPaths.get(p.partition) ?? null;
    const skipped = checks.poison.total > 0 ? `, ${checks.poison.total} poison rows not checked` : '';
    plan.notes.push(
      `routing: ${checks.routing.checked} rows${checks.routingSampled ? ' (sampled)' : ''} checked, ${checks.routing.mismatched} outside CEPtra routing (FNV-1a-64(key) mod ${config.target.partitions})${skipped}`,
    );
    plan.poison = checks.poison;
    return plan;
  } finally {
    await store.close();
    await source.close();
  }
}

export function renderPlan(plan: JobPlan): string {
  const lines: string[] = [];
  lines.push(`job ${plan.job}`);
  for (const w of plan.windows) lines.push(`  window [${nsToIso(w.startNs)}, ${nsToIso(w.endNs)})`);
  lines.push('');
  lines.push(
    ' part        rows  first event                     last event                      requests  resume / access path',
  );
  for (const p of plan.partitions) {
    const resume = p.resume
      ? p.resume.done
        ? 'done'
        : `after ${nsToIso(p.resume.tsNs)} ${p.resume.eventId} (seq ${p.resume.seq}, ${p.resume.acked} acked)`
      : (p.accessPath ?? '');
    lines.push(
      `${String(p.partition).padStart(5)} ${String(p.rows).padStart(11)}${p.exact ? ' ' : '~'} ${(nsToIso(p.firstTsNs) ?? '-').padEnd(31)} ${(nsToIso(p.lastTsNs) ?? '-').padEnd(31)} ${String(p.requests).padStart(8)}  ${resume}`,
    );
  }
  const t = plan.totals;
  lines.push('');
  lines.push(
    `total ${t.rows} events (${t.exact ? 'exact' : 'estimated, ~'}), ${t.remaining} to send in ${t.requests} requests; ETA ${formatDuration(t.etaSeconds)} at ${t.rate} events/s`,
  );
  for (const n of plan.notes) lines.push(`note: ${n}`);
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

export function registerPlanCommand(program: Command): void {
  const cmd = program
    .command('plan')
    .description('dry run: per-partition counts, time range, access path, resume position, requests and ETA')
    .requiredOption('-c, --config <file>', 'job config (YAML)')
    .option('--json <file>', 'write the plan artifact (JSON) to this file')
    .option('--exact', 'count rows exactly instead of estimating from statistics', false);
  addJobFlags(cmd);
  cmd.action(
    action(async (opts: JobFlags & { config: string; json?: string; exact: boolean }) => {
      const logger = createLogger({ level: opts.logLevel ?? 'warn' });
      const config = await loadJobConfig(opts.config, configOverrides(opts));
      const plan = await buildPlan(config, logger, opts.exact);
      process.stdout.write(`${renderPlan(plan)}\n`);
      if (opts.json) {
        await writeFile(opts.json, `${toJson(plan)}\n`);
        process.stdout.write(`plan written to ${opts.json}\n`);
      }
      return 0;
    }),
  );
}
