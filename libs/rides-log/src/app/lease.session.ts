import { Client } from 'pg';

/**
 * The streamer's session on the primary, which holds its lease (an advisory
 * lock) for as long as it lives. Keepalives on both ends: this process
 * notices a primary that went away, and the server ends the session of a
 * streamer whose host died or was cut off within about 30 s (idle probes
 * after 10 s, 3 more 5 s apart; 30 s for data it sent to go unacknowledged),
 * which frees the lease for the standby streamer. Without them a dead
 * streamer's lease could outlive it by the OS's default of two hours. An
 * active streamer queries every second, so keepalives never probe: a primary
 * that stops answering is noticed by the query timeout (the streamer then
 * starts over on a new session).
 */
export async function leaseSession(url: string): Promise<Client> {
  const client = new Client({
    connectionString: url,
    application_name: 'rocket-rides-streamer',
    connectionTimeoutMillis: 5000,
    query_timeout: 15_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    options:
      '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3 ' +
      '-c tcp_user_timeout=30000',
  });
  await client.connect();
  return client;
}
