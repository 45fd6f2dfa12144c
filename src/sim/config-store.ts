/**
 * `/v1/config` with versions (contract §6). Top-level merge; patching `partitions` replaces that
 * whole object. Every PATCH or rollback commits a new version; the history is kept for rollback.
 */
import { ConfigError } from '../common/errors.js';
import type { MetricDef } from '../monoid/index.js';
import { Impact, type KnobName, type Knobs } from './types.js';
import { parseVerifyMetrics } from './verify-metrics.js';

export interface SimConfig extends Knobs {
  version: number;
  partitions: Record<string, Partial<Knobs>>;
  /** Payload-field metrics folded into the verification panes (GET /sim/panes), beyond the built-ins. */
  verify_metrics: readonly MetricDef[];
}

const VERIFY_METRICS = 'verify_metrics';

export interface ConfigChange {
  version: number;
  impact: Impact;
  changed_keys: string[];
  duration_ms: number;
}

const KNOB_IMPACT: Record<KnobName, Impact> = {
  lateness_allowance_ms: Impact.Hot,
  correction_horizon_ms: Impact.Hot,
  apply_rate: Impact.Hot,
  // Resizing dedup tables and pane boundaries reshapes partition state: CEPtra calls that Reconfigure.
  dedup_capacity_per_partition: Impact.Reconfigure,
  pane_size_ms: Impact.Reconfigure,
};
const KNOB_LIMITS: Record<KnobName, [number, number]> = {
  lateness_allowance_ms: [0, 10 * 365 * 86_400_000],
  correction_horizon_ms: [0, 10 * 365 * 86_400_000],
  apply_rate: [0, 1e9],
  dedup_capacity_per_partition: [0, 10_000_000],
  pane_size_ms: [1, 86_400_000],
};
const IMPACT_RANK: Record<Impact, number> = { Hot: 0, Reconfigure: 1, Restart: 2 };

export function isKnob(k: string): k is KnobName {
  return Object.hasOwn(KNOB_IMPACT, k);
}

/** Accepts a number or a decimal string (contract: wide integers may arrive as strings). */
function knobValue(path: string, name: KnobName, v: unknown): number {
  const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  const [min, max] = KNOB_LIMITS[name];
  const intOnly = name !== 'apply_rate';
  if (
    typeof n !== 'number' ||
    !Number.isFinite(n) ||
    n < min ||
    n > max ||
    (intOnly && !Number.isInteger(n))
  ) {
    throw new ConfigError(
      path,
      `must be ${intOnly ? 'an integer' : 'a number'} in [${min}, ${max}] (got ${JSON.stringify(v)})`,
    );
  }
  return n;
}

function parsePartitions(v: unknown, partitionCount: number): Record<string, Partial<Knobs>> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new ConfigError('partitions', 'must be an object {"<partition id>": {knob: value}}');
  }
  const out: Record<string, Partial<Knobs>> = {};
  for (const [pid, over] of Object.entries(v)) {
    const p = Number(pid);
    if (!/^\d+$/.test(pid) || p >= partitionCount) {
      throw new ConfigError(`partitions.${pid}`, `unknown partition (valid: 0..${partitionCount - 1})`);
    }
    if (over === null || typeof over !== 'object' || Array.isArray(over)) {
      throw new ConfigError(`partitions.${pid}`, 'must be an object of knobs');
    }
    const knobs: Partial<Knobs> = {};
    for (const [k, kv] of Object.entries(over)) {
      if (!isKnob(k)) throw new ConfigError(`partitions.${pid}.${k}`, 'unknown key');
      knobs[k] = knobValue(`partitions.${pid}.${k}`, k, kv);
    }
    out[String(p)] = knobs;
  }
  return out;
}

export class ConfigStore {
  private readonly history = new Map<number, SimConfig>();
  private cur: SimConfig;

  constructor(
    private readonly initial: Knobs,
    private readonly partitionCount: number,
    private readonly initialMetrics: readonly MetricDef[] = [],
  ) {
    this.cur = this.reset();
  }

  reset(): SimConfig {
    this.history.clear();
    this.cur = Object.freeze({
      ...this.initial,
      version: 1,
      partitions: {},
      verify_metrics: this.initialMetrics,
    });
    this.history.set(1, this.cur);
    return this.cur;
  }

  get current(): SimConfig {
    return this.cur;
  }

  /** Knobs of one partition: top-level values overridden by `partitions["<id>"]`. */
  effective(partition: number): Knobs {
    const c = this.cur;
    const base: Knobs = {
      lateness_allowance_ms: c.lateness_allowance_ms,
      correction_horizon_ms: c.correction_horizon_ms,
      pane_size_ms: c.pane_size_ms,
      dedup_capacity_per_partition: c.dedup_capacity_per_partition,
      apply_rate: c.apply_rate,
    };
    return { ...base, ...c.partitions[String(partition)] };
  }

  /** Validates a PATCH body completely before changing anything; throws ConfigError naming the key. */
  patch(body: unknown): Omit<ConfigChange, 'duration_ms'> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ConfigError('body', 'must be a JSON object of config keys');
    }
    const next: SimConfig = { ...this.cur, partitions: this.cur.partitions };
    for (const [k, v] of Object.entries(body)) {
      if (k === 'version') continue; // echo of a GET; the store assigns versions
      if (k === 'partitions') next.partitions = parsePartitions(v, this.partitionCount);
      else if (k === VERIFY_METRICS) next.verify_metrics = parseVerifyMetrics(v, VERIFY_METRICS);
      else if (isKnob(k)) next[k] = knobValue(k, k, v);
      else {
        const known = [...Object.keys(KNOB_IMPACT), 'partitions', VERIFY_METRICS].join(', ');
        throw new ConfigError(k, `unknown key (known: ${known})`);
      }
    }
    return this.commit(next);
  }

  /** Commits a new version equal to version `to`; undefined when `to` never existed. */
  rollback(to: number): Omit<ConfigChange, 'duration_ms'> | undefined {
    const target = this.history.get(to);
    return target === undefined ? undefined : this.commit({ ...target });
  }

  private commit(next: SimConfig): Omit<ConfigChange, 'duration_ms'> {
    const prev = this.cur;
    const changed: string[] = [];
    let impact: Impact = Impact.Hot;
    const bump = (key: string, level: Impact): void => {
      changed.push(key);
      if (IMPACT_RANK[level] > IMPACT_RANK[impact]) impact = level;
    };
    for (const k of Object.keys(KNOB_IMPACT) as KnobName[]) if (next[k] !== prev[k]) bump(k, KNOB_IMPACT[k]);
    if (JSON.stringify(next.verify_metrics) === JSON.stringify(prev.verify_metrics))
      next.verify_metrics = prev.verify_metrics; // same list: keep the reference, the folds keep going
    else bump(VERIFY_METRICS, Impact.Reconfigure); // re-shapes the panes, like a new pane_size_ms
    const pids = new Set([...Object.keys(prev.partitions), ...Object.keys(next.partitions)]);
    for (const pid of [...pids].sort((a, b) => Number(a) - Number(b))) {
      for (const k of Object.keys(KNOB_IMPACT) as KnobName[]) {
        if (prev.partitions[pid]?.[k] !== next.partitions[pid]?.[k])
          bump(`partitions.${pid}.${k}`, KNOB_IMPACT[k]);
      }
    }
    const version = Math.max(...this.history.keys()) + 1;
    this.cur = Object.freeze({ ...next, version });
    this.history.set(version, this.cur);
    return { version, impact, changed_keys: changed };
  }
}
