/**
 * The chaos harness, short: `ceptra-replay run` (the real CLI, a child process) interrupted 8
 * times — SIGKILL at random moments, sometimes SIGTERM — under emulator faults (throttle storms,
 * 429/503, dropped connections, latency, an apply stall, a failover) and two rounds of
 * pg_terminate_backend on its COPY readers; then a final run. Against the emulator's apply log:
 * every source event applied, none twice, in (event_time, event_id) order per partition.
 * Loopback only; no PostgreSQL restart here (bench/chaos.ts does that where allowed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChaosResult, renderFigures, runChaos } from '../../bench/chaos/index.js';
import { SourceFault } from '../../bench/chaos/scenarios.js';
import { adminUrl, createTestDatabase, type TestDatabase } from '../helpers/pg.js';

const PARTS = 8;
const ROWS = 8 * 1000;
const KILLS = 8;
let db: TestDatabase;
let result: ChaosResult;

beforeAll(async () => {
  db = await createTestDatabase('chaos');
  result = await runChaos({
    kills: KILLS,
    rows: ROWS,
    partitions: PARTS,
    databaseUrl: db.url,
    adminUrl: adminUrl(),
    applyRate: 60,
    terminateRounds: 2,
    pgRestarts: 0,
    sigtermShare: 0.2,
    activityAnchorShare: 0.75,
    seed: 20_251_122,
    runTimeoutMs: 30_000,
    finalTimeoutMs: 60_000,
  });
  process.stdout.write(`${renderFigures(result.figures)}\n`);
}, 240_000);
afterAll(async () => {
  await db?.drop();
});

describe('chaos: kills, downstream and source faults, then ground truth', () => {
  it('interrupts every chaos run and finishes the job with a final run', () => {
    const f = result.figures;
    expect(f.runs).toBe(KILLS + 1);
    expect(f.final.exit).toBe('exit 0');
    expect(f.epochs).toBeGreaterThanOrEqual(1);
    expect(f.kills.sigkill + f.kills.sigterm).toBeGreaterThan(0);
  });

  it('every run ended as expected: killed, exit 3 on SIGTERM (or 0 when done), never failed', () => {
    // A run that fails on its own under faults (exit 1), or does not drain after SIGTERM, lands here.
    expect(result.figures.failures).toEqual([]);
  });

  it('injected downstream and source faults', () => {
    // Every chaos run gets a different downstream fault set (a shuffled cycle of the 9 kinds).
    const kinds = new Set(result.runs.map((r) => r.scenario?.downstream).filter((k) => k !== undefined));
    expect(kinds.size).toBe(KILLS);
    expect(result.runs.filter((r) => r.scenario?.source === SourceFault.Terminate)).toHaveLength(2);
  });

  it('lost nothing, applied nothing twice, kept the source order per partition', () => {
    const v = result.figures.verdict;
    expect(v.events).toBe(ROWS * result.figures.epochs);
    expect(v.examples).toEqual([]);
    expect(v.lost).toBe(0);
    expect(v.appliedTwice).toBe(0);
    expect(v.sim.appliedTwice).toBe(0);
    expect(v.outOfOrder).toBe(0);
    expect(v.sim.outOfOrder).toBe(0);
    expect(v.unknown).toBe(0);
    expect(v.applied).toBe(v.events);
  });

  it('re-sent at most the in-flight window after each SIGKILL', () => {
    const r = result.figures.resent;
    expect(r.bound).toBe(PARTS * 4 * 200);
    expect(r.maxAfterKill).toBeLessThanOrEqual(r.bound);
    expect(r.overBound).toBe(0);
  });
});
