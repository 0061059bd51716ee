import type { HaCluster } from './ha-cluster';

/**
 * The launcher's view of a running cluster: every second it asks Patroni who
 * leads and the leader who streams from it, and says what changed, a line
 * each (a new leader and its timeline, no leader, the replicas streaming).
 */
export class HaWatcher {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private last = { leader: '', streaming: '' };

  constructor(
    private readonly cluster: HaCluster,
    private readonly say: (line: string) => void,
    private readonly everyMs = 1000,
  ) {}

  /** Takes the current state silently (the launcher has just printed it), then reports changes. */
  async start(): Promise<void> {
    await this.tick(true);
    this.timer = setInterval(() => void this.tick(false), this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(silent: boolean): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const members = await this.cluster.members().catch(() => []);
      const leader = members.find((m) => m.role === 'leader');
      this.report(
        silent,
        'leader',
        leader
          ? `leader: ${leader.name} on port ${leader.port} (timeline ${leader.timeline ?? '?'})`
          : 'no leader',
      );
      if (!leader) return;
      const streaming = await this.cluster.streamingTo(leader.name).catch(() => undefined);
      if (!streaming) return;
      const named = streaming.map((name) =>
        members.find((m) => m.name === name)?.role === 'sync_standby' ? `${name} (sync)` : name,
      );
      this.report(
        silent,
        'streaming',
        `streaming from ${leader.name}: ${named.join(', ') || 'none'}`,
      );
    } finally {
      this.busy = false;
    }
  }

  private report(silent: boolean, what: 'leader' | 'streaming', line: string): void {
    if (this.last[what] === line) return;
    this.last[what] = line;
    if (!silent) this.say(line);
  }
}
