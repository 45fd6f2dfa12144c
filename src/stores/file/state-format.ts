/**
 * The state file: JSON, bigint values as decimal strings, dates as ISO strings. Parsing
 * validates the whole structure so a truncated or hand-edited file fails loudly, never resumes
 * from a wrong position.
 */
import { z } from 'zod';
import { JobState } from '../../engine/cursor.js';

const decimal = z.string().regex(/^-?\d+$/);
const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO date');

const cursorSchema = z.strictObject({
  tsNs: decimal,
  eventId: z.string(),
  seq: decimal,
  acked: decimal,
  done: z.boolean(),
  /** Absent in files written before stream epochs: 0, the legacy stream `<job>/<partition>`. */
  epoch: z.number().int().min(0).optional(),
  /** The source's resume token at the cursor (Kafka); absent for Postgres and in older files. */
  resume: z.string().optional(),
  updatedAt: isoDate,
});

const jobSchema = z.strictObject({
  specHash: z.string(),
  state: z.enum(Object.values(JobState) as [JobState, ...JobState[]]),
  /** Absent in files written before stream epochs: 0. */
  epoch: z.number().int().min(0).optional(),
  error: z.string().optional(),
  createdAt: isoDate,
  updatedAt: isoDate,
  summary: z.record(z.string(), z.unknown()).optional(),
});

export const stateFileSchema = z.strictObject({
  format: z.literal('ceptra-replay-state'),
  version: z.literal(1),
  jobs: z.record(
    z.string(),
    z.strictObject({
      meta: jobSchema.optional(),
      cursors: z.record(z.string().regex(/^\d+$/), cursorSchema),
    }),
  ),
});

export type StateFile = z.infer<typeof stateFileSchema>;
export type StoredCursor = z.infer<typeof cursorSchema>;

export const emptyStateFile = (): StateFile => ({ format: 'ceptra-replay-state', version: 1, jobs: {} });

/** Parses file text; returns a reason string when the content is not a valid state file. */
export function parseStateFile(text: string): StateFile | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return `not valid JSON (${(e as Error).message})`;
  }
  const r = stateFileSchema.safeParse(raw);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  return `unexpected content at ${i.path.join('.') || '(root)'}: ${i.message}`;
}
