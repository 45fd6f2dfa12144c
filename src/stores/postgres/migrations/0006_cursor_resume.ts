/**
 * 0006 — `cursors.source_resume`: the source's own resume token at the cursor (opaque text; the
 * Kafka source keeps per topic-partition offsets in it). NULL for sources that resume from
 * `(ts_ns, event_id)` alone (Postgres), and for every cursor written before this migration.
 */
export const migration0006 = {
  version: 6,
  name: 'cursor_resume',
  sql: `
ALTER TABLE ceptra_replay.cursors ADD COLUMN source_resume text;
`,
} as const;
