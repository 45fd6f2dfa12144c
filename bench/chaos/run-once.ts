/**
 * One chaos run: post the scenario's downstream faults, start `ceptra-replay run`, fire the
 * timed faults (apply stall, failover, reader termination, PostgreSQL restart), interrupt it at
 * the scenario's moment, clear the faults and record what happened.
 */
import { type ChildExit, spawnRun, stopChild } from './child.js';
import { type RestartPolicy, restartPostgres, terminateReaders } from './pg-faults.js';
import {
  Downstream,
  FAILOVER_FAULTS,
  faultBody,
  KillAnchor,
  type Scenario,
  Signal,
  SourceFault,
} from './scenarios.js';
import { type SimClient, sums } from './sim-client.js';
import { watchRun } from './watch.js';

export interface RunContext {
  sim: SimClient;
  dbUrl: string;
  dbName: string;
  adminUrl: string;
  restartPolicy: RestartPolicy;
  rnd: () => number;
  runTimeoutMs: number;
  termGraceMs: number;
}

export const Phase = { Startup: 'startup', Streaming: 'streaming' } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

export interface RunRecord {
  scenario: Scenario | null;
  /** The signal actually sent (null: the run ended by itself first). */
  sent: Signal | null;
  exit: ChildExit;
  /** Whether the run had touched the target when interrupted. */
  phase: Phase | null;
  killedAtMs: number | null;
  /** Process start → first new applied event. */
  firstAppliedMs: number | null;
  /** Process start → first new event accepted by the target. */
  firstAcceptedMs: number | null;
  /** Duplicates the target absorbed during this run (re-sends of an earlier run's window). */
  duplicates: number;
  terminated: number;
  terminateRounds: number;
  /** Termination rounds that found no open COPY reader within 5 s (the readers had finished). */
  terminateMissed: number;
  pgRestartMs: number | null;
  stalls: number;
  failovers: number;
  /** SIGTERM not honoured within the grace period: escalated to SIGKILL. */
  termEscalated: boolean;
  timedOut: boolean;
  durationMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Resolves 'exited' when the child ends first, else 'due' at `at` (the timer does not outlive the race). */
async function exitOrDue(exited: Promise<unknown>, at: number): Promise<'exited' | 'due'> {
  let timer: NodeJS.Timeout | undefined;
  const due = new Promise<'due'>((r) => {
    timer = setTimeout(() => r('due'), Math.max(0, at - Date.now()));
  });
  try {
    return await Promise.race([exited.then(() => 'exited' as const), due]);
  } finally {
    clearTimeout(timer);
  }
}
const between = (rnd: () => number, lo: number, hi: number) => lo + rnd() * (hi - lo);

export async function runOnce(ctx: RunContext, sc: Scenario, jobPath: string): Promise<RunRecord> {
  const { sim, rnd } = ctx;
  const before = await sim.stats();
  const body = faultBody(sc.downstream, sc.faultSeed);
  if (body) await sim.setFaults(body);
  const rc = spawnRun(jobPath);
  const watch = watchRun(sim, before, rc.startedAt);
  const rec: RunRecord = {
    scenario: sc,
    sent: null,
    exit: { code: null, signal: null, stdout: '', stderr: '' },
    phase: null,
    killedAtMs: null,
    firstAppliedMs: null,
    firstAcceptedMs: null,
    duplicates: 0,
    terminated: 0,
    terminateRounds: 0,
    terminateMissed: 0,
    pgRestartMs: null,
    stalls: 0,
    failovers: 0,
    termEscalated: false,
    timedOut: false,
    durationMs: 0,
  };
  let killAt = rc.startedAt + sc.delayMs;
  const hardStop = rc.startedAt + ctx.runTimeoutMs;

  // Stall and failover on a timer: 0-1.5 s into the run's streaming (or into its startup, when
  // the kill comes first), so the outage overlaps sends, retries and the kill itself.
  const timed: Promise<void>[] = [];
  if (sc.downstream === Downstream.Stall || sc.downstream === Downstream.Failover) {
    const outageMs = between(rnd, 2000, 4000);
    const lag = between(rnd, 0, 1500);
    timed.push(
      (async () => {
        await watch.untilActivity(Math.max(0, killAt - Date.now()));
        await sleep(lag);
        if (!rc.running()) return;
        if (sc.downstream === Downstream.Stall) {
          await sim.setFaults({ stallSeconds: outageMs / 1000 });
          rec.stalls++;
        } else {
          await sim.setFaults(FAILOVER_FAULTS);
          rec.failovers++;
          await sleep(outageMs);
          await sim.clearFaults();
        }
      })(),
    );
  }

  // Source faults push the kill past them, so the run is seen recovering from them.
  if (sc.source === SourceFault.Terminate) {
    for (let round = 0; round < 2 && rc.running(); round++) {
      const n = await terminateReaders(
        ctx.adminUrl,
        ctx.dbName,
        Math.min(hardStop - 5000, Date.now() + 5000),
      );
      rec.terminateRounds++;
      if (n === 0) {
        rec.terminateMissed++;
        break;
      }
      rec.terminated += n;
      await sleep(between(rnd, 200, 800));
    }
    killAt = Math.max(killAt, Date.now() + between(rnd, 300, 1500));
  } else if (sc.source === SourceFault.Restart && ctx.restartPolicy.cluster) {
    await watch.untilActivity(15_000);
    await sleep(between(rnd, 0, 500));
    rec.pgRestartMs = await restartPostgres(ctx.restartPolicy.cluster, ctx.adminUrl);
    killAt = Math.max(killAt, Date.now() + between(rnd, 1000, 3000));
  }
  // A graceful stop is only meaningful once the run is streaming (before its signal handlers
  // are wired, Node's default SIGTERM action applies).
  if (sc.signal === Signal.Term) {
    await watch.untilActivity(Math.max(0, hardStop - Date.now() - 5000));
    killAt = Math.max(killAt, Date.now() + between(rnd, 0, 800));
  }

  // Half of the kills are timed from the first ingest activity instead of the process start:
  // on a loaded 2-core machine the CLI needs seconds to start, and kills must land mid-stream too.
  if (sc.anchor === KillAnchor.Activity) {
    await watch.untilActivity(Math.max(0, hardStop - Date.now() - 5000));
    killAt = Math.max(killAt, Date.now() + sc.delayMs);
  }
  if ((await exitOrDue(rc.exited, killAt)) === 'due' && rc.running()) {
    rec.sent = sc.signal;
    rec.killedAtMs = Date.now() - rc.startedAt;
    rec.phase = watch.activityAt() === null ? Phase.Startup : Phase.Streaming;
    const grace = Math.min(ctx.termGraceMs, Math.max(1000, hardStop - Date.now()));
    const { exit, escalated } = await stopChild(rc, sc.signal, grace);
    rec.exit = exit;
    rec.termEscalated = escalated;
  } else rec.exit = await rc.exited;
  await Promise.all(timed);
  await watch.stop();
  await sim.clearFaults();
  rec.firstAppliedMs = watch.firstAppliedAt();
  rec.firstAcceptedMs = watch.firstAcceptedAt();
  rec.duplicates = sums(await sim.stats()).duplicates - sums(before).duplicates;
  rec.durationMs = Date.now() - rc.startedAt;
  return rec;
}

/** The final run: no faults, a fast apply rate, run to the end (or the timeout). */
export async function finalRun(
  ctx: RunContext,
  applyRate: number,
  timeoutMs: number,
  jobPath: string,
): Promise<RunRecord> {
  const { sim } = ctx;
  await sim.clearFaults();
  await sim.setApplyRate(applyRate);
  const before = await sim.stats();
  const rc = spawnRun(jobPath);
  const watch = watchRun(sim, before, rc.startedAt);
  let timedOut = false;
  if ((await exitOrDue(rc.exited, Date.now() + timeoutMs)) === 'due') {
    timedOut = true;
    rc.child.kill('SIGKILL');
  }
  const exit = await rc.exited;
  await watch.stop();
  return {
    scenario: null,
    sent: null,
    exit,
    phase: null,
    killedAtMs: null,
    firstAppliedMs: watch.firstAppliedAt(),
    firstAcceptedMs: watch.firstAcceptedAt(),
    duplicates: sums(await sim.stats()).duplicates - sums(before).duplicates,
    terminated: 0,
    terminateRounds: 0,
    terminateMissed: 0,
    pgRestartMs: null,
    stalls: 0,
    failovers: 0,
    termEscalated: false,
    timedOut,
    durationMs: Date.now() - rc.startedAt,
  };
}
