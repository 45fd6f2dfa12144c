/**
 * A stable hash of what a job replays (windows, source table/columns/partitions, target
 * partition count). `run` stores it with the job and refuses to resume when it changed
 * (the operator then chooses `--restart`). URLs are left out on purpose: moving to a replica or
 * rotating a password does not change what is replayed.
 */
import { createHash } from 'node:crypto';
import type { JobConfig } from './types.js';

export function jobSpecHash(config: JobConfig): string {
  const { url: _url, ...source } = config.source;
  const spec = {
    v: 1,
    windows: config.windows.map((w) => [w.startNs.toString(), w.endNs.toString()]),
    source,
    targetPartitions: config.target.partitions,
  };
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}
