/** The CEPtra emulator (contract: shared/docs/ceptra-contract.md). */

export type { ConfigChange, SimConfig } from './config-store.js';
export { SimEngine } from './engine.js';
export {
  defaultSimFaults,
  defaultSimOptions,
  resolveSimFaults,
  resolveSimOptions,
  type SimFaults,
  type SimOptions,
  type SimOptionsInput,
} from './options.js';
export { type SimServer, startSim } from './server.js';
export type { SimStats } from './sim-routes.js';
export type { Knobs, PartitionStats } from './types.js';
