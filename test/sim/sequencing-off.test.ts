import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simOptionsFromFlags } from '../../src/sim/flags.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { batch, ev, keyFor, send, until } from './helpers.js';

let sim: SimServer;
beforeAll(async () => {
  sim = await startSim({ port: 0, partitions: 2, replaySequencing: false });
});
afterAll(() => sim.close());
const p0 = () => sim.stats().partitions[0]!;

describe('sim without replay sequencing (replaySequencing: false)', () => {
  it('says so in /v1/state', async () => {
    expect((await send(`${sim.url}/v1/state`, 'GET')).json.replay_sequencing).toBe(false);
  });

  it('ignores replay_stream/replay_seq: no gap refusal, no seq dedup; event-id dedup still absorbs', async () => {
    const k = keyFor(0, 2);
    const s = (id: string, seq: number) => ev(id, { key: k, replay: true, stream: 'job/0', seq });
    const res = await batch(sim.url, [
      s('q1', 5), // a gap with sequencing: applied here
      s('q2', 5), // a seq repeat with a new id: applied here
      { ...s('q3', 1), replay_seq: 'not-a-number' }, // not validated when ignored
      s('q1', 1), // same id and payload: absorbed by event-id dedup
    ]);
    expect(res.map((r) => [r.status, r.index, r.duplicate ?? false])).toEqual([
      ['Healthy', '1', false],
      ['Healthy', '2', false],
      ['Healthy', '3', false],
      ['Healthy', null, true],
    ]);
    expect(sim.engine.seq.size).toBe(0);
    await until(() => p0().applied === 3);
    expect(p0()).toMatchObject({ duplicates_event_id: 1, duplicates_replay_seq: 0, transient: {} });
  });

  it('defaults on, and --no-replay-sequencing turns it off', () => {
    expect(simOptionsFromFlags({}).replaySequencing).toBe(true);
    expect(simOptionsFromFlags({ replaySequencing: false }).replaySequencing).toBe(false);
  });
});
