/**
 * 0004 — source-side folds for `verify`: `source_panes` (one row per job, partition, metric and
 * pane, the reducer's canonical state as jsonb) and `source_fold_status` (coverage per job and
 * partition).
 *
 * Before this migration the pane store created these tables itself, outside the numbered
 * migrations (under an advisory lock of its own). `IF NOT EXISTS` keeps a database that already
 * has them — with their rows — migrating cleanly; the definitions are the ones it created.
 */
export const migration0004 = {
  version: 4,
  name: 'panes',
  sql: `
CREATE TABLE IF NOT EXISTS ceptra_replay.source_panes (
  job         text NOT NULL,
  partition   int NOT NULL,
  metric      text NOT NULL,
  pane        numeric NOT NULL,
  state       jsonb NOT NULL,
  PRIMARY KEY (job, partition, metric, pane)
);

CREATE TABLE IF NOT EXISTS ceptra_replay.source_fold_status (
  job               text NOT NULL,
  partition         int NOT NULL,
  complete          bool NOT NULL,
  covered_to_ts_ns  text,
  covered_seq       text,
  pane_ns           text NOT NULL,
  metrics           jsonb NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job, partition)
);
`,
} as const;
