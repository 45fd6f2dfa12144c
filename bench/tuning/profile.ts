/** Top self-time functions of the V8 `.cpuprofile` files in a directory (main thread + workers, merged). */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/**
 * Frames that are a thread blocked, not working: V8 samples a worker parked in piscina's
 * `Atomics.wait` loop as if it ran (30 % of all samples in the first default run).
 */
const WAITING = new Set(['(idle)', 'atomicsWaitLoop']);

export interface SelfTime {
  fn: string;
  ms: number;
  share: number;
}

/** Self time per function (name + file:line); waiting frames (`WAITING`) are dropped from the total. */
export function topSelfTime(
  profiles: readonly CpuProfile[],
  n: number,
): { top: SelfTime[]; totalMs: number } {
  const by = new Map<string, number>();
  let total = 0;
  for (const p of profiles) {
    const hits = p.nodes.reduce((s, x) => s + (x.hitCount ?? 0), 0);
    if (hits === 0) continue;
    const msPerHit = (p.endTime - p.startTime) / 1000 / hits;
    for (const x of p.nodes) {
      const f = x.callFrame;
      if (!x.hitCount || WAITING.has(f.functionName)) continue;
      const where = f.url ? ` ${basename(f.url)}:${f.lineNumber + 1}` : '';
      const key = `${f.functionName || '(anonymous)'}${where}`;
      const ms = x.hitCount * msPerHit;
      by.set(key, (by.get(key) ?? 0) + ms);
      total += ms;
    }
  }
  const top = [...by.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, ms]) => ({ fn, ms, share: total > 0 ? ms / total : 0 }));
  return { top, totalMs: total };
}

export async function readProfiles(dir: string): Promise<CpuProfile[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as CpuProfile));
}
