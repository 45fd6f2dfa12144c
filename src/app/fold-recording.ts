/**
 * Stores a run's source-side fold with the job (`verify.enabled`), so `verify` can compare panes
 * later without re-reading the source. Best effort: a fold that cannot be stored only means
 * `verify` re-reads the source for those partitions.
 */
import type { Logger } from '../common/logger.js';
import type { JobConfig } from '../config/index.js';
import type { CursorStore } from '../engine/cursor.js';
import type { JobRunner, JobSummary } from '../engine/job-runner.js';
import { PartitionState } from '../engine/types.js';
import { type FoldSpec, RunFoldRecorder } from '../engine/verify/index.js';
import { createPaneStore } from '../stores/index.js';

export const foldSpecOf = (config: JobConfig): FoldSpec => ({
  paneNs: config.verify.paneNs,
  metrics: config.verify.metrics,
});

export interface FoldRecording {
  /** After the run (summary undefined = the run threw: every partition that moved is invalidated). */
  finish(runner: JobRunner, summary: JobSummary | undefined): Promise<void>;
}

/** Records the cursors at run start; `finish` stores this run's fold with the job. */
export async function startFoldRecording(
  config: JobConfig,
  cursors: CursorStore,
  partitions: readonly number[],
  logger: Logger,
): Promise<FoldRecording | null> {
  if (!config.verify.enabled) return null;
  const paneStore = createPaneStore(config.state, { logger });
  const close = () => paneStore.close().catch(() => undefined);
  let recorder: RunFoldRecorder;
  try {
    recorder = await RunFoldRecorder.begin(paneStore, cursors, config.job, partitions, foldSpecOf(config));
  } catch (err) {
    logger.warn({ err }, 'cannot store the source-side fold; verify will re-read the source');
    await close();
    return null;
  }
  return {
    async finish(runner, summary) {
      try {
        if (!runner.panes) return;
        const failed = new Set(
          summary === undefined
            ? partitions
            : summary.partitions.filter((p) => p.state === PartitionState.Failed).map((p) => p.partition),
        );
        const r = await recorder.finish(runner.panes.snapshot(), failed, cursors);
        logger.info(r, 'source-side fold stored');
      } catch (err) {
        logger.warn({ err }, 'could not store the source-side fold; verify will re-read the source');
      } finally {
        await close();
      }
    },
  };
}
