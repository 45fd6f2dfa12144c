/**
 * Every attempt reaches the flow controller (issue 11): in `target.mode: single` and against a
 * target without replay sequencing the sink's attempts carried no lane, so 429s never cut the
 * pace; and with worker threads the sinks' `ceptra_client_*` series were missing from /metrics.
 */

import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../src/app/index.js';
import { runJob } from '../../src/cli/run.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadJobConfig } from '../../src/config/index.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { loadRows, makeRows, resetSim, simTotals, until, writeJobFile } from '../helpers/replay-fixture.js';

let db: TestDatabase;
let sim: SimServer;
let simNoSeq: SimServer;
const TOTAL = 3000;

beforeAll(async () => {
  db = await createTestDatabase('attempts');
  await loadRows(db, makeRows(TOTAL, 4, 31));
  sim = await startSim({ port: 0, partitions: 4, applyRate: 1_000_000 });
  simNoSeq = await startSim({ port: 0, partitions: 4, applyRate: 1_000_000, replaySequencing: false });
});
afterAll(async () => {
  await sim?.close();
  await simNoSeq?.close();
  await db?.drop();
});

async function decisions(registry: Registry, reason: string): Promise<number> {
  const m = await registry.getSingleMetric('replay_controller_decisions_total')?.get();
  return (m?.values ?? [])
    .filter((v) => v.labels.action === 'decrease' && v.labels.reason === reason)
    .reduce((a, v) => a + v.value, 0);
}

describe('attempts reach the controller', () => {
  for (const [name, mode, target] of [
    ['single /append', 'single', () => sim],
    ['batch, target without sequencing', 'batch', () => simNoSeq],
  ] as const) {
    it(`429s cut the pace: ${name}`, { timeout: 120_000 }, async () => {
      const t = target();
      await resetSim(t.url, { http429Probability: 0.3, retryAfterMs: 5, faultCount: 40, seed: 5 });
      const path = await writeJobFile({
        job: `attempts-${mode}-${t.port}`,
        dbUrl: db.url,
        targetUrl: t.url,
        extra: 'workers: 0',
      });
      const config = await loadJobConfig(path, { target: { url: t.url, partitions: 4, mode } });
      const registry = new Registry();
      const summary = await runReplay(config, { logger: silentLogger(), registry });
      expect(summary.outcome).toBe('done');
      expect(summary.retries.HTTP_429 ?? 0).toBeGreaterThan(0);
      expect(await decisions(registry, 'http429')).toBeGreaterThan(0);
    });
  }

  it('a pooled run serves the workers’ ceptra_client_* series on /metrics', {
    timeout: 120_000,
  }, async () => {
    // Slow responses keep the run going while /metrics is scraped.
    await resetSim(sim.url, { latencyMs: 200 });
    const path = await writeJobFile({
      job: 'metrics-pooled',
      dbUrl: db.url,
      targetUrl: sim.url,
      extra: 'workers: 2',
      flow: '{ mode: static, batchSize: 25, maxInFlight: 1, parallelPartitions: 4 }',
    });
    const config = await loadJobConfig(path);
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const run = runJob(config, { logger: silentLogger(), progress: false, metricsPort: port });
    let text = '';
    await until(async () => {
      if ((await simTotals(sim.url)).applied < 200) return false;
      text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return /ceptra_client_requests_total\{[^}]*outcome="2xx"[^}]*\} [1-9]/.test(text);
    });
    expect(text).toMatch(/replay_events_total\{job="metrics-pooled"\} \d+/);
    expect(text).toMatch(
      /ceptra_client_request_duration_seconds_count\{[^}]*route="\/append\/batch"[^}]*\} [1-9]/,
    );
    const summary = await run;
    expect(summary.outcome).toBe('done');
    await resetSim(sim.url);
  });
});
