/**
 * 0003 — stream epochs and run locks.
 *
 * `epoch` on cursors and jobs: the replay stream of a partition is `<job>/<partition>/<epoch>`
 * (contract §2: a stream id is never reused for a different sequence of events). Rows written
 * before this migration keep epoch 0, which names the old stream `<job>/<partition>`, so a job
 * that was paused across the upgrade resumes its own stream; new jobs start at epoch 1.
 *
 * `locks`: who holds the run lock of a job (the lock itself is a session advisory lock, released
 * by Postgres when the holder's connection ends, kill -9 included). The row only names the holder
 * for the message a second run prints; `heartbeat_at` shows whether it is still alive.
 *
 * `jobs.error`: the one-line cause of the last failed run.
 */
export const migration0003 = {
  version: 3,
  name: 'stream_epochs_locks',
  sql: `
ALTER TABLE ceptra_replay.cursors ADD COLUMN epoch integer NOT NULL DEFAULT 0;
ALTER TABLE ceptra_replay.cursors ALTER COLUMN epoch DROP DEFAULT;
ALTER TABLE ceptra_replay.jobs ADD COLUMN epoch integer NOT NULL DEFAULT 0;
ALTER TABLE ceptra_replay.jobs ALTER COLUMN epoch DROP DEFAULT;
ALTER TABLE ceptra_replay.jobs ADD COLUMN error text;

CREATE TABLE ceptra_replay.locks (
  job           text PRIMARY KEY,
  host          text NOT NULL,
  pid           integer NOT NULL,
  backend_pid   integer NOT NULL,
  since         timestamptz NOT NULL,
  heartbeat_at  timestamptz NOT NULL
);
`,
} as const;
