import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalCluster } from '../cluster/local-cluster';
import type { SimulationStats } from '../stack/simulator.starter';
import { COOLDOWN_MS, DEFAULT_COOLDOWN_MS, FREEZE_MS, PHASE_MS } from './chaos.settings';
import { freezeProcessTree } from './node-freezer';
import type { Phase, PhaseOutcome } from './phase';
import { waitForProgress } from './recovery';

/** What the fault phases act on and watch. */
export interface ChaosStack {
  cluster: LocalCluster;
  /** The simulator's counters now. */
  live(): SimulationStats | undefined;
}

const acknowledged = (stack: ChaosStack) => () => stack.live()?.acknowledged.length ?? 0;
const secs = (ms: number) => `${ms / 1000} s`;

/** SIGSTOPs `name` (postmaster and every child), sleeps, SIGCONTs it, even when interrupted. */
export async function freezeNode(cluster: LocalCluster, name: string, ms: number) {
  const pid = cluster.pidOf(name);
  if (!pid) throw new Error(`cannot freeze ${name}: it is not running`);
  const frozen = freezeProcessTree(pid);
  try {
    await sleep(ms);
  } finally {
    frozen.thaw();
  }
  return frozen.pids;
}

/** A replica hangs: reads must go on within the bound, and come back to it by themselves. */
export function hungReplica(stack: ChaosStack, name: string): Phase {
  return {
    name: `${name} hung (SIGSTOP ${secs(FREEZE_MS)})`,
    readBound: true,
    run: async () => {
      const served = () => stack.live()?.readsByNode.get(name) ?? 0;
      const pids = await freezeNode(stack.cluster, name, FREEZE_MS);
      const back = await waitForProgress(served, 30_000, 1);
      await sleep(Math.max(0, PHASE_MS - FREEZE_MS - (back ?? 0) * 1000));
      return recovered(`${pids} processes frozen; ${name} serving reads again`, back, 30_000);
    },
  };
}

/** The primary hangs: writes fail with 503, token reads go on, writes resume by themselves. */
export function hungPrimary(stack: ChaosStack): Phase {
  return {
    name: `primary hung (SIGSTOP ${secs(FREEZE_MS)})`,
    allowedErrors: /^(write|read|list|rotate|revoked)_503$/,
    readBound: false,
    run: async () => {
      const pids = await freezeNode(stack.cluster, 'primary', FREEZE_MS);
      const limit = COOLDOWN_MS + 30_000;
      const resumed = await waitForProgress(acknowledged(stack), limit);
      return recovered(`${pids} processes frozen; writes resumed after SIGCONT`, resumed, limit);
    },
  };
}

/**
 * The primary is SIGKILLed and restarted while the API runs with the library's
 * default cool-down: the first failure benches the primary for 1 s, its failed
 * half-open trial for the whole 30 s; then writes must resume by themselves.
 */
export function primaryKilledDefaultCooldown(stack: ChaosStack): Phase {
  const downMs = Math.max(4000, PHASE_MS / 2);
  return {
    name: `primary killed, ${secs(DEFAULT_COOLDOWN_MS)} cool-down`,
    allowedErrors: /_(503|network)$/,
    readBound: false,
    run: async () => {
      const killedAt = Date.now();
      await stack.cluster.stopNode('primary', 'kill');
      await sleep(downMs);
      await stack.cluster.startNode('primary', { foreground: false });
      await stack.cluster.waitReady('primary');
      const restartedAfter = (Date.now() - killedAt) / 1000;
      const limit = DEFAULT_COOLDOWN_MS + 30_000;
      const resumed = await waitForProgress(acknowledged(stack), limit);
      const total =
        resumed === undefined ? '' : `, ${(restartedAfter + resumed).toFixed(1)} s after the kill`;
      return recovered(
        `down ${restartedAfter.toFixed(1)} s; writes resumed after the restart${total}`,
        resumed,
        limit,
      );
    },
  };
}

export function recovered(
  what: string,
  seconds: number | undefined,
  limitMs: number,
): PhaseOutcome {
  if (seconds !== undefined) return { note: `${what}: ${seconds.toFixed(1)} s` };
  const problem = `${what}: not within ${secs(limitMs)}`;
  return { note: problem, problems: [problem] };
}
