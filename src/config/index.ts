export { formatDurationNs, parseDurationNs } from './duration.js';
export { loadJobConfig, mergeOverrides, parseJobConfig } from './load.js';
export * from './options.js';
export type { Problem } from './problems.js';
export { type JobFileInput, jobFileSchema } from './schema.js';
export { jobSpecHash } from './spec-hash.js';
export { formatNs, parseRfc3339Ns } from './time.js';
export type * from './types.js';
