/** Helpers both adapters share: run-lock holders, the cursor fence, dead-letter keys, JSON, fold status rows. */
export { cursorMayMove, cursorRegression } from './cursor-guard.js';
export { deadLetterKey } from './dead-letter-key.js';
export { type StatusRow, statusFromRow, statusToRow } from './fold-status.js';
export { holderGone, lockedError, processStartTicks, selfHolder } from './holder.js';
export { stringifyJson } from './json.js';
