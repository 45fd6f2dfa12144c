/**
 * 0001 — the state schema. Kept as a TS string (not a .sql file) so the build output carries it.
 * `ts_ns` is `numeric`: exact for any nanosecond timestamp, read back as a decimal string.
 */
export const migration0001 = {
  version: 1,
  name: 'init',
  sql: `
CREATE TABLE ceptra_replay.jobs (
  job         text PRIMARY KEY,
  spec_hash   text NOT NULL,
  state       text NOT NULL,
  summary     jsonb,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);

CREATE TABLE ceptra_replay.cursors (
  job         text NOT NULL,
  partition   integer NOT NULL,
  ts_ns       numeric NOT NULL,
  event_id    text NOT NULL,
  seq         bigint NOT NULL,
  acked       bigint NOT NULL DEFAULT 0,
  done        boolean NOT NULL DEFAULT false,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job, partition)
);

CREATE TABLE ceptra_replay.audit (
  id          bigserial PRIMARY KEY,
  job         text NOT NULL,
  partition   integer,
  kind        text NOT NULL,
  detail      jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_job_idx ON ceptra_replay.audit (job, id);

CREATE TABLE ceptra_replay.dead_letters (
  id          bigserial PRIMARY KEY,
  job         text NOT NULL,
  partition   integer NOT NULL,
  event_id    text NOT NULL,
  reason      text NOT NULL,
  raw         jsonb,
  raw_bytes   bytea,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_job_idx ON ceptra_replay.dead_letters (job, partition, id);
`,
} as const;
