/**
 * Fault scenarios, one per chaos run: a downstream fault set (through the emulator), optionally
 * a source fault (reader connections terminated, or a PostgreSQL restart), and how it ends.
 */
import { mulberry32 } from '../../src/sources/synthetic/index.js';
import type { ChaosOptions } from './options.js';
import type { FaultBody } from './sim-client.js';

export const Downstream = {
  None: 'none',
  Transient: 'transient-storm',
  Http429: '429',
  Http503: '503',
  Drop: 'dropped-connection',
  Slow: 'slow-responses',
  Stall: 'apply-stall',
  Failover: 'leader-failover',
  Mixed: 'mixed',
} as const;
export type Downstream = (typeof Downstream)[keyof typeof Downstream];

export const DOWNSTREAM_KINDS: readonly Downstream[] = Object.values(Downstream);

export const SourceFault = {
  None: 'none',
  Terminate: 'pg-terminate-backend',
  Restart: 'pg-restart',
} as const;
export type SourceFault = (typeof SourceFault)[keyof typeof SourceFault];

export const Signal = { Kill: 'SIGKILL', Term: 'SIGTERM' } as const;
export type Signal = (typeof Signal)[keyof typeof Signal];

/** What the kill delay is measured from: the process start, or the run's first ingest activity. */
export const KillAnchor = { Start: 'start', Activity: 'activity' } as const;
export type KillAnchor = (typeof KillAnchor)[keyof typeof KillAnchor];

export interface Scenario {
  downstream: Downstream;
  source: SourceFault;
  signal: Signal;
  /** Kill moment after the anchor (a source fault or SIGTERM may push it later). */
  delayMs: number;
  anchor: KillAnchor;
  /** Seed of the emulator's fault RNG for this run. */
  faultSeed: number;
}

/**
 * The fault set posted at the start of a run. The stall and the failover are timed instead
 * (see `runOnce`): the emulator has no "leader failover" switch, so a failover is emulated as
 * HTTP 503 on every ingest request for 2-4 s with the emulator's state intact.
 */
export function faultBody(kind: Downstream, seed: number): FaultBody | null {
  switch (kind) {
    case Downstream.None:
    case Downstream.Stall:
    case Downstream.Failover:
      return null;
    case Downstream.Transient:
      return { transientProbability: 0.3, seed };
    case Downstream.Http429:
      return { http429Probability: 0.2, retryAfterMs: 200, seed };
    case Downstream.Http503:
      return { http503Probability: 0.2, retryAfterMs: 300, seed };
    case Downstream.Drop:
      return { dropProbability: 0.1, seed };
    case Downstream.Slow:
      return { latencyMs: [20, 250], seed };
    case Downstream.Mixed:
      return {
        transientProbability: 0.1,
        http429Probability: 0.05,
        http503Probability: 0.05,
        dropProbability: 0.05,
        retryAfterMs: 100,
        latencyMs: [0, 50],
        seed,
      };
    default: {
      const never: never = kind;
      throw new Error(`unknown downstream fault ${String(never)}`);
    }
  }
}

/** Failover: 503 with Retry-After on every ingest request, state intact. */
export const FAILOVER_FAULTS: FaultBody = { http503Probability: 1, retryAfterMs: 500 };

/** Downstream kinds in shuffled cycles (each cycle a permutation), so short runs still cover them all. */
export function downstreamCycle(rnd: () => number): () => Downstream {
  let bag: Downstream[] = [];
  return () => {
    if (bag.length === 0) {
      bag = [...DOWNSTREAM_KINDS];
      for (let i = bag.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [bag[i], bag[j]] = [bag[j]!, bag[i]!];
      }
    }
    return bag.pop()!;
  };
}

/** Round indices (0-based, of `total`) spread evenly for `count` events; none when count is 0. */
export function spread(count: number, total: number, offset = 0): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < count && total > 0; i++)
    out.add((offset + Math.floor(((i + 0.5) * total) / count)) % total);
  return out;
}

/** Kill delay: uniform in [min, max], or log-uniform (1 in 3) so very early kills are common. */
export function killDelay(rnd: () => number, min: number, max: number): number {
  if (rnd() < 1 / 3) return Math.round(Math.exp(Math.log(min) + rnd() * (Math.log(max) - Math.log(min))));
  return Math.round(min + rnd() * (max - min));
}

/**
 * Every chaos run's scenario, drawn up front from `seed` (so the same seed gives the same plan
 * whatever the timing): downstream kinds in shuffled cycles; SIGTERMs, reader terminations and
 * PostgreSQL restarts spread evenly over the runs.
 */
export function planScenarios(
  o: Pick<
    ChaosOptions,
    | 'kills'
    | 'seed'
    | 'downstreamFaults'
    | 'sigtermShare'
    | 'terminateRounds'
    | 'pgRestarts'
    | 'minDelayMs'
    | 'maxDelayMs'
    | 'activityAnchorShare'
  >,
  restartAllowed: boolean,
): Scenario[] {
  const rnd = mulberry32(o.seed);
  const nextDownstream = downstreamCycle(rnd);
  const terms = spread(Math.round(o.kills * o.sigtermShare), o.kills, 0);
  const terminates = spread(o.terminateRounds, o.kills, 1);
  const restarts = restartAllowed ? spread(o.pgRestarts, o.kills, 2) : new Set<number>();
  return Array.from({ length: o.kills }, (_, i) => ({
    downstream: o.downstreamFaults ? nextDownstream() : Downstream.None,
    source: restarts.has(i)
      ? SourceFault.Restart
      : terminates.has(i)
        ? SourceFault.Terminate
        : SourceFault.None,
    signal: terms.has(i) ? Signal.Term : Signal.Kill,
    delayMs: killDelay(rnd, Math.max(1, o.minDelayMs), o.maxDelayMs),
    anchor: rnd() < o.activityAnchorShare ? KillAnchor.Activity : KillAnchor.Start,
    faultSeed: Math.floor(rnd() * 0xffffffff),
  }));
}
