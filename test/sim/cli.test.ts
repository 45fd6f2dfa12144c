import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerSimCommand } from '../../src/cli/sim.js';
import { simOptionsFromFlags } from '../../src/sim/flags.js';

describe('sim CLI flags', () => {
  it('maps flags to validated options', () => {
    const o = simOptionsFromFlags({
      port: '0',
      partitions: '4',
      applyRate: '50',
      faultLatencyMs: '5-10',
      faultCount: '2',
    });
    expect(o).toMatchObject({ port: 0, partitions: 4, applyRate: 50, ring: 50_000 });
    expect(o.faults).toMatchObject({ latencyMs: [5, 10], faultCount: 2 });
  });

  it('names the flag on a bad value', () => {
    expect(() => simOptionsFromFlags({ applyRate: 'abc' })).toThrow(/--apply-rate: must be a number/);
    expect(() => simOptionsFromFlags({ partitions: '0' })).toThrow(/--partitions: must be an integer/);
    expect(() => simOptionsFromFlags({ fault429: '2' })).toThrow(/--fault-429/);
    expect(() => simOptionsFromFlags({ faultLatencyMs: 'x' })).toThrow(/--fault-latency-ms/);
  });

  it('registers the sim command', () => {
    const p = new Command('ceptra-replay');
    registerSimCommand(p);
    const cmd = p.commands.find((c) => c.name() === 'sim');
    expect(cmd?.options.map((o) => o.long)).toEqual(
      expect.arrayContaining(['--apply-rate', '--ring', '--fault-drop', '--no-replay-sequencing']),
    );
  });
});
