/**
 * 0002 — dead letters carry everything needed to inspect and re-drive them: the event time
 * (`ts_ns` as decimal text), key, payload, schema key, the source row (`raw`), retry state, and a
 * `dedup_key` (unique per job) so a poison row re-read after a resume is stored once.
 * `event_id` becomes nullable: a source row with a NULL id is a dead letter too.
 */
export const migration0002 = {
  version: 2,
  name: 'dead_letters',
  sql: `
ALTER TABLE ceptra_replay.dead_letters
  ALTER COLUMN event_id DROP NOT NULL,
  ADD COLUMN ts_ns text,
  ADD COLUMN key bytea,
  ADD COLUMN payload bytea,
  ADD COLUMN schema_key text,
  ADD COLUMN retried_at timestamptz,
  ADD COLUMN retry_outcome text,
  ADD COLUMN dedup_key text;
CREATE UNIQUE INDEX dead_letters_dedup_idx ON ceptra_replay.dead_letters (job, dedup_key);
CREATE INDEX dead_letters_job_id_idx ON ceptra_replay.dead_letters (job, id);
`,
} as const;
