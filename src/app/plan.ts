/** The dry run (`plan`): what a `run` would send, with every pre-flight check, nothing sent. */
import { Closers } from '../common/closers.js';
import type { Logger } from '../common/logger.js';
import type { JobConfig } from '../config/index.js';
import { type JobPlan, planJob } from '../engine/planner.js';
import { createStateStore } from '../stores/index.js';
import { openSource } from './open.js';
import { preflight } from './preflight.js';
import { jobSpec, scanPartitions } from './spec.js';

export async function buildPlan(config: JobConfig, logger: Logger, exact: boolean): Promise<JobPlan> {
  const closers = new Closers(logger);
  try {
    const source = closers.add('source', await openSource(config, logger), (s) => s.close());
    const store = closers.add('state store', createStateStore(config.state, { logger }), (s) => s.close());
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
    plan.poison = checks.poison;
    if (config.source.type === 'kafka') return plan;
    const skipped = checks.poison.total > 0 ? `, ${checks.poison.total} poison rows not checked` : '';
    plan.notes.push(
      `routing: ${checks.routing.checked} rows${checks.routingSampled ? ' (sampled)' : ''} checked, ${checks.routing.mismatched} outside CEPtra routing (FNV-1a-64(key) mod ${config.target.partitions})${skipped}`,
    );
    return plan;
  } finally {
    await closers.closeAll();
  }
}
