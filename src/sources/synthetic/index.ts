export { escapeCopyText, formatTimestampUs } from './copy-text.js';
export { describeSeed, type SeedDescription } from './describe.js';
export { DEMO_START_NS, defaultSeedOptions, type SeedOptions } from './options.js';
export { mulberry32 } from './prng.js';
export { textEventId } from './rows.js';
export { type SeedResult, seedEvents } from './seed.js';
