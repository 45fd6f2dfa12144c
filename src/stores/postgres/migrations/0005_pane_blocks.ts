/**
 * 0005 — source panes stored in blocks: `source_pane_blocks` holds, per job, partition, metric
 * and block of 1,024 consecutive panes, one jsonb object `{"<pane>": state}`. One row per pane
 * (0004's `source_panes`) made the end-of-run fold write of a one-hour, 1M-event window ~460k
 * B-tree upserts (~4–7 s inside Postgres, ~11 s wall); in blocks it is a few hundred rows.
 *
 * Existing pane rows are folded into blocks (the key is the pane's decimal text, the block
 * `floor(pane / 1024)`), then `source_panes` is dropped.
 */
export const PANES_PER_BLOCK = 1024n;

export const migration0005 = {
  version: 5,
  name: 'pane_blocks',
  sql: `
CREATE TABLE ceptra_replay.source_pane_blocks (
  job         text NOT NULL,
  partition   int NOT NULL,
  metric      text NOT NULL,
  block       numeric NOT NULL,
  states      jsonb NOT NULL,
  PRIMARY KEY (job, partition, metric, block)
);

INSERT INTO ceptra_replay.source_pane_blocks (job, partition, metric, block, states)
SELECT job, partition, metric, floor(pane / ${PANES_PER_BLOCK}), jsonb_object_agg(pane::text, state)
  FROM ceptra_replay.source_panes
 GROUP BY job, partition, metric, floor(pane / ${PANES_PER_BLOCK});

DROP TABLE ceptra_replay.source_panes;
`,
} as const;
