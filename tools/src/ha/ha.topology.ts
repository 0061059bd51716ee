import type { Client } from 'pg';
import { withPgClient } from '../cluster/pg-client';
import type { HaAddresses } from './ha.addresses';
import type { HaMember, PatroniClient } from './patroni.client';
import { waitUntil } from '../process/wait';

/**
 * Who leads and who streams: Patroni's view (`GET /cluster`) checked against
 * Postgres' own (pg_is_in_recovery, the leader's pg_stat_replication).
 */
export class HaTopology {
  constructor(
    private readonly addresses: HaAddresses,
    private readonly client: PatroniClient,
    /** The nodes whose Patroni runs: those a replica is expected of. */
    private readonly running: () => string[],
  ) {}

  members(): Promise<HaMember[]> {
    return this.client.cluster();
  }

  async leader(): Promise<HaMember | undefined> {
    return (await this.members()).find((m) => m.role === 'leader');
  }

  async waitForLeader(timeoutMs: number, not?: string): Promise<HaMember> {
    let found: HaMember | undefined;
    await waitUntil(
      async () => {
        found = await this.leader().catch(() => undefined);
        if (!found || found.name === not || found.state !== 'running') return false;
        return this.isPrimary(found.name);
      },
      {
        timeoutMs,
        what: () =>
          `a writable leader${not ? ` other than ${not}` : ''} (last seen: ${found?.name ?? 'none'})`,
        intervalMs: 200,
      },
    );
    return found!;
  }

  async waitForStreaming(timeoutMs: number): Promise<string[]> {
    const { synchronous } = this.addresses.settings;
    let streaming: string[] = [];
    let expected: string[] = [];
    let sync: string | undefined;
    await waitUntil(
      async () => {
        const members = await this.members().catch(() => []);
        const leader = members.find((m) => m.role === 'leader');
        if (!leader) return false;
        expected = this.running().filter((name) => name !== leader.name);
        streaming = await this.streamingTo(leader.name).catch(() => []);
        sync = members.find((m) => m.role === 'sync_standby')?.name;
        const synced = !synchronous || expected.length === 0 || sync !== undefined;
        return synced && expected.every((name) => streaming.includes(name));
      },
      {
        timeoutMs,
        what: () =>
          `${expected.join(', ')} to stream (streaming: ${streaming.join(', ') || 'none'}` +
          `${synchronous ? `; sync standby: ${sync ?? 'none'}` : ''})`,
        intervalMs: 250,
      },
    );
    return streaming;
  }

  /** The nodes streaming from `leader` (its pg_stat_replication, by application_name). */
  streamingTo(leader: string): Promise<string[]> {
    return this.withClient(leader, 'postgres', async (c) => {
      const { rows } = await c.query<{ application_name: string }>(
        "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming' ORDER BY 1",
      );
      return rows.map((r) => r.application_name);
    });
  }

  async withClient<T>(
    name: string,
    database: string,
    fn: (client: Client) => Promise<T>,
  ): Promise<T> {
    return withPgClient(this.addresses.url(name, database), fn);
  }

  private isPrimary(name: string): Promise<boolean> {
    return this.withClient(name, 'postgres', async (c) => {
      const { rows } = await c.query<{ recovery: boolean }>(
        'SELECT pg_is_in_recovery() AS recovery',
      );
      return rows[0]?.recovery === false;
    }).catch(() => false);
  }
}
