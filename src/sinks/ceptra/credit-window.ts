/**
 * The credit window, reduced to the contract's cap (§2 rules 1 and 3): never more events in one
 * request (batch mode) or in flight (single mode) than the target's last `client_window_size`, and
 * 256 events / 10 MiB until a first hint arrives. How much to send, and when, is the flow
 * controller's job (src/engine/flow): a second controller here that halved on back-pressure and
 * grew ×1.25 per 500 ms fought it (one cut per refusal in both places).
 */
export interface CreditWindowOptions {
  initialEvents: number;
  maxBytes: number;
}

export class CreditWindow {
  private ceiling: number;
  readonly maxBytes: number;

  constructor(opts: CreditWindowOptions) {
    this.ceiling = opts.initialEvents;
    this.maxBytes = opts.maxBytes;
  }

  /** Events allowed now (in one request in batch mode, in flight in single mode). */
  events(): number {
    return this.ceiling;
  }

  /** A new `client_window_size` becomes the cap at once (at least one event). */
  onHint(clientWindowSize: number): void {
    this.ceiling = Math.max(1, Math.floor(clientWindowSize));
  }
}
