import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import { PRIMARY_NODE, RESOLVED_OPTIONS } from './replica-routing.constants';

interface Health {
  consecutiveFailures: number;
  benchedUntil: number;
  lastError: string | null;
}

export interface NodeHealthView {
  healthy: boolean;
  consecutiveFailures: number;
  benchedForMs: number;
  lastError: string | null;
}

/**
 * Per-node circuit breaker. A replica is benched after `replicaFailureThreshold`
 * consecutive failures; the primary after one connection failure, for
 * `primaryCooldownMs`. After the bench time one request is let through to try
 * the node again (half-open); success closes the breaker.
 */
@Injectable()
export class NodeHealth {
  private readonly logger = new Logger(NodeHealth.name);
  private readonly nodes = new Map<string, Health>();
  /** Injectable clock, so that tests can move time. */
  now: () => number = Date.now;

  constructor(@Inject(RESOLVED_OPTIONS) private readonly options: ResolvedReplicaRoutingOptions) {}

  isAvailable(name: string): boolean {
    return this.entry(name).benchedUntil <= this.now();
  }

  /** Milliseconds until a benched node is tried again (0 when available). */
  retryInMs(name: string): number {
    return Math.max(0, this.entry(name).benchedUntil - this.now());
  }

  recordSuccess(name: string): void {
    const health = this.entry(name);
    if (health.consecutiveFailures > 0 && health.benchedUntil > 0) {
      this.logger.log(`${name} is back`);
    }
    health.consecutiveFailures = 0;
    health.benchedUntil = 0;
  }

  recordFailure(name: string, error: unknown): void {
    const health = this.entry(name);
    health.consecutiveFailures += 1;
    health.lastError = error instanceof Error ? error.message : String(error);
    const primary = name === PRIMARY_NODE;
    const threshold = primary ? 1 : this.options.replicaFailureThreshold;
    if (health.consecutiveFailures >= threshold && this.isAvailable(name)) {
      const ms = primary ? this.options.primaryCooldownMs : this.options.replicaBenchMs;
      health.benchedUntil = this.now() + ms;
      this.logger.warn(
        `${name} failed ${health.consecutiveFailures}x (${health.lastError}); benched for ${ms} ms`,
      );
    }
  }

  view(name: string): NodeHealthView {
    const h = this.entry(name);
    return {
      healthy: this.isAvailable(name) && h.consecutiveFailures === 0,
      consecutiveFailures: h.consecutiveFailures,
      benchedForMs: this.retryInMs(name),
      lastError: h.lastError,
    };
  }

  private entry(name: string): Health {
    let health = this.nodes.get(name);
    if (!health) {
      health = { consecutiveFailures: 0, benchedUntil: 0, lastError: null };
      this.nodes.set(name, health);
    }
    return health;
  }
}
