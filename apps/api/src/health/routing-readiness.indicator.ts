import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { ReplicaStatusView } from '@app/replica-routing';

/**
 * Ready unless the primary's breaker is open while no replica can serve, or
 * the routing status cache is older than its bound: the replica-routing
 * library decides (`ReplicaStatusView.readiness()`).
 */
@Injectable()
export class RoutingReadinessIndicator {
  constructor(
    private readonly view: ReplicaStatusView,
    private readonly indicators: HealthIndicatorService,
  ) {}

  check<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const { ready, reasons } = this.view.readiness();
    const session = this.indicators.check(key);
    return ready ? session.up({ reasons }) : session.down({ reasons });
  }
}
