/**
 * A stable hash of what a job replays (windows, source table/columns/partitions, target
 * partition count). `run` stores it with the job and refuses to resume when it changed
 * (the operator then chooses `--restart`). URLs are left out on purpose: moving to a replica or
 * rotating a password does not change what is replayed; nor do a Kafka source's brokers, TLS,
 * credentials, timeouts and buffer sizes.
 */
import { createHash } from 'node:crypto';
import type { JobConfig, SourceConfig } from './types.js';

export function jobSpecHash(config: JobConfig): string {
  const source = replayedSource(config.source);
  const spec = {
    v: 1,
    windows: config.windows.map((w) => [w.startNs.toString(), w.endNs.toString()]),
    source,
    targetPartitions: config.target.partitions,
  };
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}

/** The fields of a source that decide which events are replayed, and how (hash v1 for Postgres). */
function replayedSource(s: SourceConfig): object {
  if (s.type === 'postgres') {
    const { url: _url, ...rest } = s;
    return rest;
  }
  return {
    type: s.type,
    topics: s.topics,
    mapping: s.mapping,
    partitions: s.partitions,
    maxDisorderNs: s.maxDisorderNs.toString(),
  };
}
