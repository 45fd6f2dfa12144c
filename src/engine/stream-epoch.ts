/**
 * Choosing the stream epoch of a job whose cursors cannot be trusted (first run, `--restart`,
 * lost or corrupt state). A stream id must never be reused for a different sequence of events
 * (contract §2): the target would acknowledge the new events as duplicates of the old seqs and
 * never apply them. The store remembers the epochs it handed out, but a lost state file or a
 * second store under the same job id forgets them, so the target is asked too: the first epoch,
 * from `floor` up, that none of the job's partitions' streams has been seen under.
 */
import { ErrorCode, ReplayError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Sink } from '../sinks/sink.js';
import { replayStreamId } from './types.js';

/** Epochs tried before giving up (each try asks once per partition). */
const MAX_PROBES = 64;
const CONCURRENCY = 8;

export async function chooseStreamEpoch(
  sink: Pick<Sink, 'sequencing' | 'lastSeq'>,
  job: string,
  partitions: readonly number[],
  floor: number,
  logger: Logger,
): Promise<number> {
  const lastSeq = sink.lastSeq?.bind(sink);
  if (!sink.sequencing || !lastSeq) return floor;
  for (let epoch = floor; epoch < floor + MAX_PROBES; epoch++) {
    const queue = [...partitions];
    let used: string | null = null;
    let unknown: string | null = null;
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
        for (let p = queue.shift(); p !== undefined && used === null; p = queue.shift()) {
          const stream = replayStreamId(job, p, epoch);
          const last = await lastSeq(stream);
          if (last === undefined) unknown ??= stream;
          else if (last > 0n) used ??= stream;
        }
      }),
    );
    if (used !== null) {
      logger.warn(
        { stream: used, epoch },
        'the target already holds this replay stream though this job has no cursor for it (lost or restarted state): moving to the next stream epoch',
      );
      continue;
    }
    if (unknown !== null) {
      logger.warn(
        { stream: unknown },
        'the target cannot say whether it has seen this replay stream (GET /v1/replay/streams): trusting the stored epoch',
      );
    }
    return epoch;
  }
  throw new ReplayError(
    ErrorCode.NoStreamEpoch,
    `the target already holds replay streams of job "${job}" under every epoch ${floor}..${floor + MAX_PROBES - 1}; use a new job id`,
  );
}
