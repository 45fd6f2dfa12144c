/**
 * Poison events end to end: NULL keys, NULL ids, payloads over the target's limit, events in the
 * future and target refusals all land in dead letters with their reason (inline and in worker
 * threads); everything else is applied exactly once; `onPoison: fail` stops the job with exit 1
 * after keeping what it saw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../src/app/index.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadJobConfig } from '../../src/config/index.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { createStateStore } from '../../src/stores/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { loadRows, makeRows, simTotals, waitApplied, writeJobFile } from '../helpers/replay-fixture.js';

const PARTS = 4;
const GOOD = 3000;
let db: TestDatabase;
let sim: SimServer;

beforeAll(async () => {
  db = await createTestDatabase('poison');
  const rows = makeRows(GOOD, PARTS, 21);
  await loadRows(db, rows);
  await db.query('ALTER TABLE events ALTER COLUMN key DROP NOT NULL, ALTER COLUMN event_id DROP NOT NULL');
  const p0 = rows.find((r) => r.part === 0)!;
  const at = `'epoch'::timestamptz + (${p0.tsNs / 1000n}::numeric) * interval '1 microsecond'`;
  await db.query(
    `INSERT INTO events (part_id, event_time, event_id, key, payload) VALUES
       (0, ${at}, 'poison-null-key', NULL, '{"x":1}'),
       (0, ${at}, NULL, 'user-1', '{"x":2}'),
       (0, ${at}, 'poison-too-big', 'user-1', jsonb_build_object('blob', repeat('x', 2000))),
       (0, ${at}, 'poison-refused', 'user-1', '{"x":3}')`,
  );
  sim = await startSim({ port: 0, partitions: PARTS, applyRate: 1_000_000, maxEventBytes: 1500 });
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

describe('poison events', () => {
  for (const workers of [0, 2]) {
    it(`go to dead letters with their reason, the rest applied once (workers ${workers})`, async () => {
      await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
      await fetch(`${sim.url}/sim/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rejectPattern: '^poison-refused$', rejectReason: 'PERMANENT_SCHEMA' }),
      });
      const job = `poison-${workers}`;
      const path = await writeJobFile({
        job,
        dbUrl: db.url,
        targetUrl: sim.url,
        // Future-skewed events are covered by test/engine/poison.test.ts (a window cannot end in the
        // future); here the target's 1500-byte limit and a refusal cover the send path.
        extra: `workers: ${workers}\nguardrails: { routing: send }`,
      });
      const config = await loadJobConfig(path);
      const s = await runReplay(config, { logger: silentLogger() });
      expect(s.outcome, s.error).toBe('done');
      const t = await waitApplied(sim.url);
      expect(t.applied_twice).toBe(0);
      // PAYLOAD_TOO_LARGE is refused by the target here (its limit is below the client's 1 MiB).
      expect(t.applied).toBe(GOOD);
      const store = createStateStore(config.state);
      await store.init();
      try {
        const letters = await store.listDeadLetters(job, { limit: 100 });
        const byReason = new Map(letters.map((l) => [l.reason, l]));
        expect([...byReason.keys()].sort()).toEqual([
          'NULL_EVENT_ID',
          'NULL_KEY',
          'PERMANENT_PAYLOAD',
          'PERMANENT_SCHEMA',
        ]);
        expect(byReason.get('PERMANENT_SCHEMA')!.eventId).toBe('poison-refused');
        expect(byReason.get('PERMANENT_SCHEMA')!.payload!.toString()).toBe('{"x": 3}');
        expect(byReason.get('NULL_KEY')!.eventId).toBe('poison-null-key');
        expect(byReason.get('NULL_EVENT_ID')!.raw).toBeDefined();
      } finally {
        await store.close();
      }
      expect((await simTotals(sim.url)).applied).toBe(GOOD);
    });
  }

  it('onPoison: fail stops the job (exit 1) after keeping the dead letters', async () => {
    await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
    const path = await writeJobFile({
      job: 'poison-fail',
      dbUrl: db.url,
      targetUrl: sim.url,
      extra: 'workers: 0\nguardrails: { routing: send, onPoison: fail }',
    });
    const config = await loadJobConfig(path);
    const s = await runReplay(config, { logger: silentLogger() });
    expect(s.outcome).toBe('failed');
    expect(s.error).toMatch(/onPoison/);
    const store = createStateStore(config.state);
    await store.init();
    try {
      expect(await store.countDeadLetters('poison-fail')).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});
