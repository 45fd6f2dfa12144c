/**
 * The job's record in its state store across a run: opened (a corrupt file moved aside on
 * `--restart`), marked running under the stream epoch this run uses, and closed with the outcome
 * and its cause. A stream id is never reused for a different sequence of events (contract §2):
 * a resumed job continues its epoch; `--restart` and a job the store does not know (first run,
 * lost state) take a new one, checked against the target.
 */
import { ConfigError, ErrorCode, errorMessage, isReplayError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { type JobConfig, jobSpecHash } from '../config/index.js';
import { type JobRecord, JobState, type StateStore } from '../engine/cursor.js';
import type { JobSummary } from '../engine/job-runner.js';
import { chooseStreamEpoch } from '../engine/stream-epoch.js';
import type { Sink } from '../sinks/sink.js';
import { createStateStore, FileStateStore } from '../stores/index.js';

/** Opens and prepares the state store; `restart` on a corrupt state file moves the file aside. */
export async function openStateStore(
  config: JobConfig,
  restart: boolean,
  logger: Logger,
): Promise<StateStore> {
  const store = createStateStore(config.state, { logger });
  try {
    await store.init();
  } catch (err) {
    if (
      !(
        restart &&
        isReplayError(err) &&
        err.code === ErrorCode.StateCorrupt &&
        store instanceof FileStateStore
      )
    ) {
      await store.close().catch(() => undefined);
      throw err;
    }
    const aside = await store.quarantine();
    logger.warn(
      { movedTo: aside },
      '--restart: the state file was corrupt; moved it aside and starting over',
    );
  }
  return store;
}

export async function prepareJobRecord(
  store: StateStore,
  sink: Pick<Sink, 'sequencing' | 'lastSeq'>,
  config: JobConfig,
  partitions: readonly number[],
  restart: boolean,
  logger: Logger,
): Promise<JobRecord> {
  const hash = jobSpecHash(config);
  const existing = await store.getJob(config.job);
  let epoch: number;
  if (restart) {
    epoch = await store.reset(config.job);
    logger.warn({ job: config.job }, '--restart: discarded the cursors of this job');
  } else if (existing && existing.specHash !== hash) {
    throw new ConfigError(
      'job',
      `job "${config.job}" already ran with a different window, source or partition count, so its cursors do not apply. Use a new job id, or pass --restart to discard its cursors and replay from the start under a new replay stream (the target's event-id dedup absorbs events it already applied, within its retry window).`,
    );
  } else {
    epoch = existing ? existing.epoch : 1;
  }
  if (restart || !existing)
    epoch = await chooseStreamEpoch(sink, config.job, partitions, Math.max(1, epoch), logger);
  const now = new Date();
  const record: JobRecord = {
    specHash: hash,
    state: JobState.Running,
    epoch,
    createdAt: existing && !restart ? existing.createdAt : now,
    updatedAt: now,
  };
  await store.putJob(config.job, record);
  return record;
}

const STATE_OF = { done: JobState.Done, failed: JobState.Failed, interrupted: JobState.Paused } as const;

/** The record after a run that returned: its state, cause and summary. */
export async function finishJobRecord(
  store: StateStore,
  job: string,
  record: JobRecord,
  summary: JobSummary,
): Promise<void> {
  await store.putJob(job, {
    ...record,
    state: STATE_OF[summary.outcome],
    updatedAt: new Date(),
    ...(summary.error !== undefined ? { error: summary.error } : {}),
    summary: JSON.parse(JSON.stringify(summary, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))),
  });
}

/** A run that threw after marking its job running leaves it failed, with the cause. Never throws. */
export async function failJobRecord(
  store: StateStore,
  job: string,
  record: JobRecord,
  err: unknown,
  logger: Logger,
): Promise<void> {
  await store
    .putJob(job, { ...record, state: JobState.Failed, updatedAt: new Date(), error: errorMessage(err) })
    .catch((e: unknown) => logger.warn({ err: errorMessage(e) }, 'could not mark the job failed'));
}
