/** Options of `verify` reporting and target settling. */
export interface VerifyOptions {
  /** Divergent / missing panes listed in the text report (all of them go to --json). */
  maxListed: number;
  /** How long to wait for the target to apply what it acknowledged before reading its panes. */
  settleTimeoutMs: number;
  settlePollMs: number;
}

export const defaultVerifyOptions = {
  maxListed: 20,
  settleTimeoutMs: 30_000,
  settlePollMs: 100,
} satisfies VerifyOptions;
