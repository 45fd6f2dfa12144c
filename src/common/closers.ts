/**
 * What a command opened, closed in reverse order whatever happens: a failure half-way through
 * start-up (a metrics port taken, a database down) must not leave the source, the state store or
 * a lock open behind it. Each close is bounded by the component's own timeouts and never throws.
 */
import type { Logger } from './logger.js';

export class Closers {
  private readonly stack: { name: string; close: () => Promise<unknown> | unknown }[] = [];

  constructor(private readonly logger?: Logger) {}

  /** Registers `close` and returns `value`, so opening and registering is one expression. */
  add<T>(name: string, value: T, close: (v: T) => Promise<unknown> | unknown): T {
    this.stack.push({ name, close: () => close(value) });
    return value;
  }

  async closeAll(): Promise<void> {
    while (this.stack.length > 0) {
      const { name, close } = this.stack.pop()!;
      try {
        await close();
      } catch (err) {
        this.logger?.warn({ component: name, err: (err as Error)?.message ?? String(err) }, 'close failed');
      }
    }
  }
}
