/**
 * Options of the CEPtra emulator. `resolveSimOptions` merges a partial over the defaults and
 * validates every field, throwing a ConfigError that names the field and the fix.
 */
import type { Registry } from 'prom-client';
import { DEFAULT_MAX_EVENT_BYTES, DEFAULT_PANE_MS } from '../common/contract.js';
import { ConfigError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { MetricDef } from '../monoid/index.js';
import { parseVerifyMetrics } from './verify-metrics.js';

/** Fault injection (request-level faults hit only `/append` and `/append/batch`). */
export interface SimFaults {
  /** Probability that a request is answered TransientBackpressure for every event. */
  transientProbability: number;
  /**
   * Probability that one event is answered TransientBackpressure (scattered refusals, with the
   * queue empty: noise, not congestion); the prefix rule then holds back the rest of its
   * partition in that request.
   */
  transientEventProbability: number;
  /** Probability of HTTP 429 / 503 (with `Retry-After` and `retry_after_ms`). */
  http429Probability: number;
  http503Probability: number;
  retryAfterMs: number;
  /** Probability that the socket is destroyed without an answer, before any processing. */
  dropProbability: number;
  /** Added latency per ingest request: fixed ms, or a uniform [min, max] range. */
  latencyMs: number | [number, number];
  /** Event ids matching this regex are rejected permanently with `rejectReason`. */
  rejectPattern: string | null;
  rejectReason: string;
  /**
   * Break contract §2 on purpose: a permanent refusal does NOT consume its seq (the stream's
   * `last` stays put, so the next seq is refused OUT_OF_ORDER_SEQUENCE). A target whose
   * bookkeeping differs from the client's; the client must fail, never spin.
   */
  refusalKeepsSeq: boolean;
  /**
   * Apply faults for verification tests (matched against client/REPLAY event ids at apply time):
   * `dropApplyPattern` — acknowledged and committed, then silently neither applied nor folded
   * (simulated loss); `duplicateApplyPattern` — applied and folded twice (counted in applied_twice).
   */
  dropApplyPattern: string | null;
  duplicateApplyPattern: string | null;
  /** Apply stall: draining stops for this many seconds (from start, or from POST /sim/faults). */
  stallSeconds: number;
  /** Cap on the number of probabilistic request faults (transient/429/503/drop); null = no cap. */
  faultCount: number | null;
  /** Seed of the fault RNG (mulberry32), so tests are deterministic. */
  seed: number;
}

export interface SimOptions {
  port: number;
  host: string;
  partitions: number;
  /** Events/s drained from each partition's commit→apply ring (partitions apply independently). */
  applyRate: number;
  /** Commit→apply ring capacity per partition. */
  ring: number;
  /** Live-traffic generator, events/s across all partitions (0 = off). */
  liveRate: number;
  replicationLagMs: number;
  /** Uniform jitter [0, x] ms added to the simulated replication lag at each scrape. */
  replicationJitterMs: number;
  paneMs: number;
  latenessMs: number;
  /** Watermark idle bound G of contract §4. */
  idleGraceMs: number;
  correctionHorizonMs: number;
  dedupCapacity: number;
  maxBodyBytes: number;
  maxEventBytes: number;
  /** Drain timer period. */
  tickMs: number;
  /**
   * Keep the apply-order log for /sim/applied (~14 B/event + the id). The applied ids behind
   * `applied_twice` are kept either way (IdTable).
   */
  keepAppliedLog: boolean;
  /**
   * Replay sequencing (contract §2). false = a target without it: `/v1/state` says
   * `"replay_sequencing": false` and `replay_stream` / `replay_seq` are ignored (not even
   * validated), so only event-id dedup absorbs re-sends.
   */
  replaySequencing: boolean;
  /**
   * Payload-field metrics folded into the verification panes (beyond the built-ins
   * `ingest_events_total` and `ingest_payload_bytes`); the initial `verify_metrics` of /v1/config.
   */
  verifyMetrics: readonly MetricDef[];
  faults: SimFaults;
  registry?: Registry;
  logger?: Logger;
}

/** What `startSim` / `resolveSimOptions` accept: any subset, faults included. */
export type SimOptionsInput = Partial<Omit<SimOptions, 'faults'>> & { faults?: Partial<SimFaults> };

export const defaultSimFaults = {
  transientProbability: 0,
  transientEventProbability: 0,
  http429Probability: 0,
  http503Probability: 0,
  retryAfterMs: 1000,
  dropProbability: 0,
  latencyMs: 0,
  rejectPattern: null,
  rejectReason: 'PERMANENT_SCHEMA',
  refusalKeepsSeq: false,
  dropApplyPattern: null,
  duplicateApplyPattern: null,
  stallSeconds: 0,
  faultCount: null,
  seed: 1,
} satisfies SimFaults;

export const defaultSimOptions = {
  port: 7070,
  host: '127.0.0.1',
  partitions: 16,
  applyRate: 200_000,
  ring: 50_000,
  liveRate: 0,
  replicationLagMs: 20,
  replicationJitterMs: 0,
  paneMs: DEFAULT_PANE_MS,
  latenessMs: 2000,
  idleGraceMs: 200,
  correctionHorizonMs: 3_600_000,
  dedupCapacity: 100_000,
  maxBodyBytes: 64 * 1024 * 1024,
  maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
  tickMs: 5,
  keepAppliedLog: true,
  replaySequencing: true,
  verifyMetrics: [],
  faults: defaultSimFaults,
} satisfies SimOptions;

function num(field: string, v: unknown, min: number, max: number, int: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isInteger(v)) || v < min || v > max) {
    const kind = int ? 'an integer' : 'a number';
    throw new ConfigError(field, `must be ${kind} in [${min}, ${max}] (got ${JSON.stringify(v)})`);
  }
  return v;
}

const prob = (field: string, v: unknown): number => num(field, v, 0, 1, false);

export function resolveSimFaults(
  partial: Partial<SimFaults> = {},
  base: SimFaults = defaultSimFaults,
): SimFaults {
  const f: SimFaults = { ...base, ...partial };
  const known = new Set(Object.keys(defaultSimFaults));
  for (const k of Object.keys(partial)) {
    if (!known.has(k))
      throw new ConfigError(`faults.${k}`, `unknown fault (known: ${[...known].join(', ')})`);
  }
  prob('faults.transientProbability', f.transientProbability);
  prob('faults.transientEventProbability', f.transientEventProbability);
  prob('faults.http429Probability', f.http429Probability);
  prob('faults.http503Probability', f.http503Probability);
  prob('faults.dropProbability', f.dropProbability);
  num('faults.retryAfterMs', f.retryAfterMs, 0, 3_600_000, true);
  if (Array.isArray(f.latencyMs)) {
    const [lo, hi] = f.latencyMs;
    num('faults.latencyMs[0]', lo, 0, 600_000, false);
    num('faults.latencyMs[1]', hi, lo, 600_000, false);
    if (f.latencyMs.length !== 2) throw new ConfigError('faults.latencyMs', 'range must be [min, max]');
  } else num('faults.latencyMs', f.latencyMs, 0, 600_000, false);
  for (const k of ['rejectPattern', 'dropApplyPattern', 'duplicateApplyPattern'] as const) {
    const v = f[k];
    if (v === null) continue;
    if (typeof v !== 'string') throw new ConfigError(`faults.${k}`, 'must be a regex string or null');
    try {
      new RegExp(v);
    } catch (e) {
      throw new ConfigError(`faults.${k}`, `invalid regex: ${(e as Error).message}`);
    }
  }
  if (typeof f.rejectReason !== 'string' || !/^[A-Z_]+(:\w+)?$/.test(f.rejectReason)) {
    throw new ConfigError(
      'faults.rejectReason',
      `must be a reason like PERMANENT_SCHEMA (got ${f.rejectReason})`,
    );
  }
  if (typeof f.refusalKeepsSeq !== 'boolean')
    throw new ConfigError(
      'faults.refusalKeepsSeq',
      `must be true or false (got ${JSON.stringify(f.refusalKeepsSeq)})`,
    );
  num('faults.stallSeconds', f.stallSeconds, 0, 86_400, false);
  if (f.faultCount !== null) num('faults.faultCount', f.faultCount, 0, Number.MAX_SAFE_INTEGER, true);
  num('faults.seed', f.seed, 0, 0xffffffff, true);
  return f;
}

export function resolveSimOptions(partial: SimOptionsInput = {}): SimOptions {
  const o: SimOptions = { ...defaultSimOptions, ...partial, faults: resolveSimFaults(partial.faults ?? {}) };
  num('port', o.port, 0, 65535, true);
  if (typeof o.host !== 'string' || o.host === '')
    throw new ConfigError('host', 'must be a host name or address');
  num('partitions', o.partitions, 1, 65536, true);
  num('applyRate', o.applyRate, 0, 1e9, false);
  num('ring', o.ring, 1, 10_000_000, true);
  num('liveRate', o.liveRate, 0, 1e7, false);
  num('replicationLagMs', o.replicationLagMs, 0, 3_600_000, false);
  num('replicationJitterMs', o.replicationJitterMs, 0, 3_600_000, false);
  num('paneMs', o.paneMs, 1, 86_400_000, true);
  num('latenessMs', o.latenessMs, 0, 10 * 365 * 86_400_000, true);
  num('idleGraceMs', o.idleGraceMs, 0, 86_400_000, true);
  num('correctionHorizonMs', o.correctionHorizonMs, 0, 10 * 365 * 86_400_000, true);
  num('dedupCapacity', o.dedupCapacity, 0, 10_000_000, true);
  num('maxBodyBytes', o.maxBodyBytes, 1, 2 ** 31 - 1, true);
  num('maxEventBytes', o.maxEventBytes, 1, 2 ** 31 - 1, true);
  num('tickMs', o.tickMs, 1, 1000, true);
  o.verifyMetrics = parseVerifyMetrics(o.verifyMetrics, 'verifyMetrics');
  for (const k of ['keepAppliedLog', 'replaySequencing'] as const) {
    if (typeof o[k] !== 'boolean')
      throw new ConfigError(k, `must be true or false (got ${JSON.stringify(o[k])})`);
  }
  return o;
}
