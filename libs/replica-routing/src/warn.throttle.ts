import type { RoutingLogger } from './logger';

/**
 * Warnings said at most once a minute per key (a node, a kind of trouble),
 * on the caller's clock: a condition seen on every read or refresh must not
 * flood the log. The message is built only when it is said.
 */
export class WarnThrottle {
  private readonly saidAt = new Map<string, number>();

  constructor(
    private readonly logger: RoutingLogger,
    private readonly everyMs = 60_000,
  ) {}

  warn(key: string, now: number, message: () => string): void {
    if (now - (this.saidAt.get(key) ?? -Infinity) < this.everyMs) return;
    this.saidAt.set(key, now);
    this.logger.warn(message());
  }
}
