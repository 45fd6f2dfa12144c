/**
 * The emulator's command-line vocabulary: `ceptra-replay sim` flags (kebab-case, as parsed by
 * commander) → validated SimOptions. A bad value names the flag, not the option key.
 */
import { ConfigError } from '../common/errors.js';
import { resolveSimOptions, type SimFaults, type SimOptions, type SimOptionsInput } from './options.js';

export type Raw = Record<string, string | boolean | undefined>;

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
    ['fault-transient-event', 'transientEventProbability'],
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
