/**
 * The chaos harness: seed a list-partitioned events table, start the emulator as a child,
 * interrupt `ceptra-replay run` `kills` times under downstream and source faults, let a final
 * run finish, and check the emulator's ground truth against the source.
 * `runChaos(opts) → { figures, runs }`; `bench/chaos.ts` and `test/chaos/chaos.test.ts` call it.
 */
import { mulberry32 } from '../../src/sources/synthetic/index.js';
import { type SimProcess, startSimProcess } from './child.js';
import { type ChaosFigures, collectFigures, exitLabel } from './figures.js';
import { type ChaosOptions, resolveChaosOptions } from './options.js';
import { restartPolicy } from './pg-faults.js';
import { finalRun, type RunContext, type RunRecord, runOnce } from './run-once.js';
import { planScenarios, SourceFault } from './scenarios.js';
import { expectedOrder, jobFiles, openDatabase, seed } from './setup.js';
import { SimClient } from './sim-client.js';
import { addVerdict, emptyVerdict, verify } from './verify.js';

export { type ChaosFigures, renderFigures } from './figures.js';
export { type ChaosOptions, defaultChaosOptions, resolveChaosOptions } from './options.js';
export type { RunRecord } from './run-once.js';

export interface ChaosResult {
  options: ChaosOptions;
  figures: ChaosFigures;
  runs: RunRecord[];
}

function describe(i: number, total: number, r: RunRecord): string {
  const sc = r.scenario;
  const what = sc
    ? `${sc.downstream}${sc.source === SourceFault.None ? '' : ` + ${sc.source}`}`
    : 'final (no faults)';
  const kill = r.sent ? `${r.sent} at ${r.killedAtMs} ms (${r.phase})` : 'ran to its end';
  const rec = r.firstAppliedMs === null ? '' : `, first new apply at ${r.firstAppliedMs} ms`;
  return `run ${i}/${total}: ${what}; ${kill} → ${exitLabel(r)}; duplicates absorbed ${r.duplicates}${rec}`;
}

export async function runChaos(partial: Partial<ChaosOptions> = {}): Promise<ChaosResult> {
  const o = resolveChaosOptions(partial);
  const t0 = Date.now();
  // Scenarios come from their own stream (planScenarios), so timing-dependent draws here cannot shift them.
  const rnd = mulberry32(o.seed ^ 0x9e3779b9);
  const db = await openDatabase(o);
  let sim: SimProcess | undefined;
  let removeJob: () => Promise<void> = async () => undefined;
  try {
    o.log(`seeding ${o.rows} events over ${o.partitions} partitions into ${db.name} …`);
    await seed(db.url, o);
    const expected = await expectedOrder(db.url);
    sim = await startSimProcess([
      '--partitions',
      String(o.partitions),
      '--apply-rate',
      String(o.applyRate),
      '--ring',
      String(o.ring),
    ]);
    const client = new SimClient(sim.url);
    const jobs = await jobFiles(o, db.url, sim.url);
    removeJob = jobs.remove;
    const policy =
      o.pgRestarts > 0
        ? restartPolicy(o.adminUrl)
        : { allowed: false, reason: 'not requested (pgRestarts 0)' };
    if (o.pgRestarts > 0 && !policy.allowed) o.log(`PostgreSQL restarts skipped: ${policy.reason}`);
    o.log(
      `emulator ${sim.url}: apply rate ${o.applyRate}/s per partition, ring ${o.ring}; ${o.kills} interruptions`,
    );
    const ctx: RunContext = {
      sim: client,
      dbUrl: db.url,
      dbName: db.name,
      adminUrl: o.adminUrl,
      restartPolicy: policy,
      rnd,
      runTimeoutMs: o.runTimeoutMs,
      termGraceMs: o.termGraceMs,
    };
    const scenarios = planScenarios(o, policy.allowed);
    const runs: RunRecord[] = [];
    const verdict = emptyVerdict();
    let epochs = 0;
    let jobPath = await jobs.path(0);
    const total = o.kills + 1;
    for (const [i, sc] of scenarios.entries()) {
      const r = await runOnce(ctx, sc, jobPath);
      runs.push(r);
      o.log(describe(i + 1, total, r));
      if (r.exit.code === 0) {
        // The job finished before its interruptions ran out: check it, then start it over.
        addVerdict(verdict, await verify(client, expected, o.partitions));
        epochs++;
        await client.reset();
        jobPath = await jobs.path(epochs);
        o.log(
          `  job completed early: ground truth checked, emulator reset, next runs are job chaos-${epochs}`,
        );
      }
    }
    const last = await finalRun(ctx, o.finalApplyRate, o.finalTimeoutMs, jobPath);
    runs.push(last);
    o.log(describe(total, total, last));
    addVerdict(verdict, await verify(client, expected, o.partitions));
    if (last.exit.code === 0) epochs++;
    const injected = (await client.stats()).faults_injected;
    const figures = collectFigures(o, runs, injected, verdict, {
      epochs,
      pgRestartSkipped: policy.allowed ? null : policy.reason,
      durationMs: Date.now() - t0,
    });
    return { options: o, figures, runs };
  } finally {
    await sim?.stop();
    await removeJob();
    await db.drop().catch(() => undefined);
  }
}
