import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import { NodeHealth } from './node-health.service';
import { resolveOptions } from './replica-routing.options';

describe('NodeHealth', () => {
  let now: number;
  let health: NodeHealth;

  beforeEach(() => {
    now = 1_000_000;
    const options: ResolvedReplicaRoutingOptions = resolveOptions({
      primary: { url: 'postgres://p' },
      replicas: [{ name: 'r0', url: 'postgres://r0' }],
      replicaFailureThreshold: 3,
      replicaBenchMs: 5000,
      primaryCooldownMs: 30_000,
    });
    health = new NodeHealth(options);
    health.now = () => now;
  });

  it('benches a replica after the threshold of consecutive failures, then lets one try through', () => {
    health.recordFailure('r0', new Error('boom'));
    health.recordFailure('r0', new Error('boom'));
    expect(health.isAvailable('r0')).toBe(true);
    health.recordFailure('r0', new Error('boom'));
    expect(health.isAvailable('r0')).toBe(false);
    expect(health.retryInMs('r0')).toBe(5000);
    now += 5000;
    expect(health.isAvailable('r0')).toBe(true);
    // Half-open: one more failure benches it again at once.
    health.recordFailure('r0', new Error('still down'));
    expect(health.isAvailable('r0')).toBe(false);
    expect(health.view('r0').lastError).toBe('still down');
  });

  it('resets on success', () => {
    health.recordFailure('r0', new Error('x'));
    health.recordFailure('r0', new Error('x'));
    health.recordSuccess('r0');
    health.recordFailure('r0', new Error('x'));
    expect(health.isAvailable('r0')).toBe(true);
    expect(health.view('r0').consecutiveFailures).toBe(1);
  });

  it('opens the primary breaker on the first failure for the cool-down', () => {
    health.recordFailure('primary', new Error('ECONNREFUSED'));
    expect(health.isAvailable('primary')).toBe(false);
    now += 29_999;
    expect(health.isAvailable('primary')).toBe(false);
    now += 1;
    expect(health.isAvailable('primary')).toBe(true);
    health.recordSuccess('primary');
    expect(health.view('primary')).toMatchObject({
      healthy: true,
      consecutiveFailures: 0,
      benchedForMs: 0,
    });
  });
});
