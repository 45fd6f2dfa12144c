/** Flags shared by the job commands; they override the config file (defaults → file → env → flags). */
import type { Command } from 'commander';
import { ConfigError } from '../common/errors.js';
import type { JobConfigOverrides } from '../config/index.js';

export interface JobFlags {
  job?: string;
  start?: string;
  end?: string;
  target?: string;
  batchSize?: string;
  maxInFlight?: string;
  parallelPartitions?: string;
  logLevel?: string;
}

export function addJobFlags(cmd: Command): Command {
  return cmd
    .option('--job <id>', 'override job (the id cursors are keyed by)')
    .option('--start <rfc3339>', 'override window.start')
    .option('--end <rfc3339>', 'override window.end')
    .option('--target <url>', 'override target.url')
    .option('--batch-size <n>', 'override flow.batchSize')
    .option('--max-in-flight <n>', 'override flow.maxInFlight')
    .option('--parallel-partitions <n>', 'override flow.parallelPartitions')
    .option('--log-level <level>', 'log level (trace|debug|info|warn|error)');
}

function int(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(flag, `must be a positive integer (got "${v}")`);
  return n;
}

export function configOverrides(f: JobFlags): JobConfigOverrides {
  const o: JobConfigOverrides = {};
  if (f.job) o.job = f.job;
  if (f.start || f.end) {
    if (!f.start || !f.end)
      throw new ConfigError(f.start ? '--end' : '--start', 'give --start and --end together');
    o.window = { start: f.start, end: f.end };
  }
  if (f.target) o.target = { url: f.target };
  const flow: NonNullable<JobConfigOverrides['flow']> = {};
  const bs = int('--batch-size', f.batchSize);
  const mif = int('--max-in-flight', f.maxInFlight);
  const pp = int('--parallel-partitions', f.parallelPartitions);
  if (bs !== undefined) flow.batchSize = bs;
  if (mif !== undefined) flow.maxInFlight = mif;
  if (pp !== undefined) flow.parallelPartitions = pp;
  if (Object.keys(flow).length > 0) o.flow = flow;
  return o;
}
