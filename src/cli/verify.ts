/**
 * `ceptra-replay verify --config job.yaml [--json out.json] [--target-panes f] [--windows-out gap.yaml]`:
 * compares the job's source-side panes with the target's, pane by pane (src/app/verify.ts). Exit 0
 * identical, 4 divergent, 2 bad input. Also `run --verify`.
 */
import type { Command } from 'commander';
import { verifyReplay } from '../app/index.js';
import { createLogger, type Logger } from '../common/logger.js';
import { type JobConfig, loadJobConfig } from '../config/index.js';
import { action } from './exit.js';
import { addJobFlags, configOverrides, type JobFlags } from './flags.js';

/** `run --verify`: the verification after a successful run; returns the exit code (0 or 4). */
export async function verifyAfterRun(
  config: JobConfig,
  logger: Logger,
  targetPanes?: string,
): Promise<number> {
  const out = await verifyReplay(config, { logger, ...(targetPanes ? { targetPanes } : {}) });
  process.stdout.write(`${out.text}\n`);
  return out.exitCode;
}

export function registerVerifyCommand(program: Command): void {
  const cmd = program
    .command('verify')
    .description(
      "compare the job's source-side panes with the target's, pane by pane (exit 4 when divergent)",
    )
    .requiredOption('-c, --config <file>', 'job config (YAML)')
    .option('--json <file>', 'write the full report, with the gap windows for run --windows-from')
    .option('--target-panes <file>', "the target's pane snapshot (default: the target's GET /sim/panes)")
    .option('--windows-out <file>', 'write the gap windows as a YAML fragment for a job file');
  addJobFlags(cmd);
  cmd.action(
    action(
      async (
        opts: JobFlags & { config: string; json?: string; targetPanes?: string; windowsOut?: string },
      ) => {
        const logger = createLogger({ level: opts.logLevel ?? 'warn' });
        const config = await loadJobConfig(opts.config, configOverrides(opts));
        const out = await verifyReplay(config, {
          logger,
          ...(opts.json ? { json: opts.json } : {}),
          ...(opts.targetPanes ? { targetPanes: opts.targetPanes } : {}),
          ...(opts.windowsOut ? { windowsOut: opts.windowsOut } : {}),
        });
        process.stdout.write(`${out.text}\n`);
        return out.exitCode;
      },
    ),
  );
}
