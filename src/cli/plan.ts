/**
 * `ceptra-replay plan --config job.yaml [--json out.json]`: the dry run. Nothing is sent; every
 * guardrail that `run` enforces fails here first.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { buildPlan } from '../app/index.js';
import { createLogger } from '../common/logger.js';
import { loadJobConfig } from '../config/index.js';
import { type JobPlan, nsToIso, toJson } from '../engine/planner.js';
import { action } from './exit.js';
import { addJobFlags, configOverrides, type JobFlags } from './flags.js';
import { formatDuration } from './progress.js';

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
