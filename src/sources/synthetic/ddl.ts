/** DDL of the seeded table: `(part_id, event_time, event_id, key, payload, schema_key)`. */
import { quoteName } from './copy-text.js';
import type { ResolvedSeedOptions } from './options.js';

function split(table: string): { schema: string | null; base: string } {
  const dot = table.indexOf('.');
  return dot < 0
    ? { schema: null, base: table }
    : { schema: table.slice(0, dot), base: table.slice(dot + 1) };
}

function sibling(table: string, name: string): string {
  const { schema } = split(table);
  return quoteName(schema ? `${schema}.${name}` : name);
}

export function createTableSql(o: ResolvedSeedOptions): string[] {
  const t = quoteName(o.table);
  const { base } = split(o.table);
  const idType = o.eventIdType === 'bigint' ? 'bigint' : 'text';
  const out: string[] = [];
  if (o.replace) out.push(`DROP TABLE IF EXISTS ${t} CASCADE`);
  out.push(
    `CREATE TABLE ${t} (part_id integer NOT NULL, event_time timestamptz NOT NULL, event_id ${idType} NOT NULL, ` +
      `key text NOT NULL, payload jsonb NOT NULL, schema_key text NOT NULL)` +
      (o.listPartitioned ? ' PARTITION BY LIST (part_id)' : ''),
  );
  if (o.listPartitioned) {
    for (let p = 0; p < o.partitions; p++) {
      out.push(`CREATE TABLE ${sibling(o.table, `${base}_p${p}`)} PARTITION OF ${t} FOR VALUES IN (${p})`);
    }
  }
  return out;
}

/** Built after the load: one sort instead of maintaining the b-tree row by row. */
export function createIndexSql(o: ResolvedSeedOptions): string[] {
  const { base } = split(o.table);
  const idx = quoteName(`${base}_part_time_id_idx`);
  return [
    `CREATE INDEX ${idx} ON ${quoteName(o.table)} (part_id, event_time, event_id)`,
    `ANALYZE ${quoteName(o.table)}`,
  ];
}
