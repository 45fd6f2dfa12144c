/**
 * `ceptra-replay sim`: runs the CEPtra emulator until SIGINT/SIGTERM and logs one JSON line with
 * its URL. Numeric flags are validated; a bad value names the flag and exits 2.
 */
import type { Command } from 'commander';
import { ConfigError, ExitCode } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import {
  resolveSimOptions,
  type SimFaults,
  type SimOptions,
  type SimOptionsInput,
  startSim,
} from '../sim/index.js';

type Raw = Record<string, string | boolean | undefined>;

function number(flag: string, raw: string | boolean | undefined): number | undefined {
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n))
    throw new ConfigError(`--${flag}`, `must be a number (got "${raw}")`);
  return n;
}

function latency(raw: string | boolean | undefined): SimFaults['latencyMs'] | undefined {
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(raw.trim());
  if (!m) throw new ConfigError('--fault-latency-ms', `must be MS or MIN-MAX (got "${raw}")`);
  return m[2] === undefined ? Number(m[1]) : [Number(m[1]), Number(m[2])];
}

/** Flags → SimOptions (validated); throws ConfigError naming the flag. */
export function simOptionsFromFlags(o: Raw): SimOptions {
  const nums: [flag: string, key: keyof SimOptions][] = [
    ['port', 'port'],
    ['partitions', 'partitions'],
    ['apply-rate', 'applyRate'],
    ['ring', 'ring'],
    ['live-rate', 'liveRate'],
    ['replication-lag-ms', 'replicationLagMs'],
    ['replication-jitter-ms', 'replicationJitterMs'],
    ['pane-ms', 'paneMs'],
    ['lateness-ms', 'latenessMs'],
    ['correction-horizon-ms', 'correctionHorizonMs'],
    ['dedup-capacity', 'dedupCapacity'],
    ['max-body-bytes', 'maxBodyBytes'],
    ['max-event-bytes', 'maxEventBytes'],
  ];
  const faultNums: [flag: string, key: keyof SimFaults][] = [
    ['fault-transient', 'transientProbability'],
    ['fault-429', 'http429Probability'],
    ['fault-503', 'http503Probability'],
    ['fault-retry-after-ms', 'retryAfterMs'],
    ['fault-drop', 'dropProbability'],
    ['fault-stall-s', 'stallSeconds'],
    ['fault-count', 'faultCount'],
    ['fault-seed', 'seed'],
  ];
  const partial: Record<string, unknown> = {};
  const faults: Record<string, unknown> = {};
  const camel = (f: string): string => f.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  for (const [flag, key] of nums) {
    const v = number(flag, o[camel(flag)]);
    if (v !== undefined) partial[key] = v;
  }
  for (const [flag, key] of faultNums) {
    const v = number(flag, o[camel(flag)]);
    if (v !== undefined) faults[key] = v;
  }
  const lat = latency(o.faultLatencyMs);
  if (lat !== undefined) faults.latencyMs = lat;
  if (typeof o.faultRejectPattern === 'string') faults.rejectPattern = o.faultRejectPattern;
  if (typeof o.faultRejectReason === 'string') faults.rejectReason = o.faultRejectReason;
  if (o.faultRefusalKeepsSeq === true) faults.refusalKeepsSeq = true;
  if (typeof o.faultDropApplyPattern === 'string') faults.dropApplyPattern = o.faultDropApplyPattern;
  if (typeof o.faultDuplicateApplyPattern === 'string')
    faults.duplicateApplyPattern = o.faultDuplicateApplyPattern;
  if (typeof o.verifyMetrics === 'string') {
    try {
      partial.verifyMetrics = JSON.parse(o.verifyMetrics);
    } catch (e) {
      throw new ConfigError('--verify-metrics', `must be a JSON list of metrics (${(e as Error).message})`);
    }
  }
  if (typeof o.host === 'string') partial.host = o.host;
  if (o.appliedLog === false) partial.keepAppliedLog = false;
  if (o.replaySequencing === false) partial.replaySequencing = false;
  partial.faults = faults;
  try {
    return resolveSimOptions(partial as SimOptionsInput);
  } catch (e) {
    // Name the flag, not the option key: applyRate → --apply-rate, faults.seed → --fault-seed.
    if (e instanceof ConfigError) {
      const patterns: [string, string][] = [
        ['fault-reject-pattern', 'faults.rejectPattern'],
        ['fault-drop-apply-pattern', 'faults.dropApplyPattern'],
        ['fault-duplicate-apply-pattern', 'faults.duplicateApplyPattern'],
      ];
      const all = [
        ...nums,
        ...faultNums.map(([f, k]) => [f, `faults.${k}`] as [string, string]),
        ...patterns,
      ];
      const hit = all.find(([, k]) => e.field === k);
      if (hit) throw new ConfigError(`--${hit[0]}`, e.message.slice(e.field.length + 2));
      if (e.field.startsWith('verifyMetrics'))
        throw new ConfigError(
          `--verify-metrics${e.field.slice('verifyMetrics'.length)}`,
          e.message.slice(e.field.length + 2),
        );
    }
    throw e;
  }
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run the CEPtra emulator (ingest, apply lag, watermark, dedup, config, faults)')
    .option('--port <n>', 'listen port (0 = any)', '7070')
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option('--partitions <n>', 'partition count', '16')
    .option('--apply-rate <n>', 'events/s applied per partition', '200000')
    .option('--ring <n>', 'commit→apply ring per partition', '50000')
    .option('--live-rate <n>', 'live-traffic events/s across partitions', '0')
    .option('--replication-lag-ms <n>', 'simulated replication lag')
    .option('--replication-jitter-ms <n>', 'uniform jitter added to the replication lag')
    .option('--pane-ms <n>', 'pane size q', '250')
    .option('--lateness-ms <n>', 'lateness allowance L', '2000')
    .option('--correction-horizon-ms <n>', 'correction horizon C')
    .option('--dedup-capacity <n>', 'dedup entries per partition')
    .option('--max-body-bytes <n>', 'request body limit (413 above)')
    .option('--max-event-bytes <n>', 'payload limit (PERMANENT_PAYLOAD above)', '1048576')
    .option('--no-applied-log', 'do not keep the apply-order log (/sim/applied)')
    .option(
      '--verify-metrics <json>',
      'payload-field metrics folded into /sim/panes, e.g. \'[{"name":"amt","kind":"sum","field":"$.amount"}]\'',
    )
    .option(
      '--no-replay-sequencing',
      'act as a target without replay sequencing: ignore replay_stream/replay_seq (event-id dedup only)',
    )
    .option('--fault-transient <p>', 'probability of an all-TransientBackpressure answer')
    .option('--fault-429 <p>', 'probability of HTTP 429')
    .option('--fault-503 <p>', 'probability of HTTP 503')
    .option('--fault-retry-after-ms <n>', 'Retry-After of injected 429/503')
    .option('--fault-drop <p>', 'probability of a dropped connection')
    .option('--fault-latency-ms <ms|min-max>', 'added latency per ingest request')
    .option('--fault-reject-pattern <regex>', 'reject event ids matching this regex permanently')
    .option('--fault-reject-reason <reason>', 'reason for --fault-reject-pattern', 'PERMANENT_SCHEMA')
    .option(
      '--fault-refusal-keeps-seq',
      'break contract §2: a permanent refusal does not consume its replay_seq (clients must fail, not spin)',
    )
    .option('--fault-drop-apply-pattern <regex>', 'ack and commit matching ids, but never apply or fold them')
    .option('--fault-duplicate-apply-pattern <regex>', 'apply and fold matching ids twice')
    .option('--fault-stall-s <n>', 'stop applying for N seconds from start')
    .option('--fault-count <n>', 'maximum number of injected request faults')
    .option('--fault-seed <n>', 'fault RNG seed')
    .action(async (raw: Raw) => {
      let opts: SimOptions;
      try {
        opts = simOptionsFromFlags(raw);
      } catch (e) {
        if (e instanceof ConfigError) {
          process.stderr.write(`ceptra-replay sim: ${e.message}\n`);
          process.exit(ExitCode.BadInput);
        }
        throw e;
      }
      const logger = createLogger();
      const sim = await startSim({ ...opts, logger });
      process.stdout.write(
        `${JSON.stringify({ msg: 'sim listening', url: sim.url, partitions: opts.partitions })}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await sim.close();
      logger.flush();
    });
}
