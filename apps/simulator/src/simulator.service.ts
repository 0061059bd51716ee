import { messageOf, QuietWarner } from '@app/config';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient, type ApiResponse } from './api.client';
import { HistoryWriter } from './history/history.writer';
import { operationTime, Session } from './history/session';
import { SimulationStats } from './simulation.stats';
import { SimulatorConfig } from './simulator.config';

interface Ride {
  id: number;
  distance: number;
  /** The rider it belongs to: the API shows a rider only its own. */
  user_id: number;
}

/** Rides a list read asks for: the user's newest. */
const LIST_LIMIT = 20;

/**
 * N virtual users, each like the original simulator: register, then loop
 * (write a ride with a random distance in [5, 1000), wait, read it back, list
 * the newest rides). Every read is checked: anything but 200 with the same
 * distance, of this rider, is stale; so is a list that shows another rider's
 * ride. A user sends back the newest token it holds. With
 * SIM_HISTORY_FILE every operation is recorded for the session-guarantee checker.
 */
@Injectable()
export class SimulatorService {
  private readonly logger = new Logger('Simulator');
  private readonly unreachable = new QuietWarner(this.logger);
  /** For waiting until the APIs are up; each user has its own (see `user`). */
  private readonly client: ApiClient;
  private ridesStarted = 0;
  /** The stats of the run in progress, for live reporting (the chaos run reads them per phase). */
  current: SimulationStats | undefined;

  constructor(@Inject(SimulatorConfig) private readonly config: SimulatorConfig) {
    this.client = new ApiClient(config.apiUrls, config.SIM_REQUEST_TIMEOUT_MS);
  }

  /** Runs until `signal` aborts or the configured bound is reached. */
  async run(
    signal: AbortSignal,
    options: { trackAcknowledged?: boolean } = {},
  ): Promise<SimulationStats> {
    const c = this.config;
    const stats = new SimulationStats(options.trackAcknowledged);
    // Opened first: a path that cannot be written stops the run before it waits for anything.
    const history = c.SIM_HISTORY_FILE ? new HistoryWriter(c.SIM_HISTORY_FILE) : undefined;
    // Stopped while the API was not up yet: nothing ran, nothing to report.
    if (!(await this.client.waitUntilUp(60_000, signal))) {
      await history?.close();
      return stats;
    }
    this.current = stats;
    this.logger.log(
      `${c.SIM_USERS} users against ${c.apiUrls.join(', ')}` +
        `${c.apiUrls.length > 1 ? ' (each user takes them in turn)' : ''}, wait ${c.SIM_WAIT_MIN_MS}-${c.SIM_WAIT_MAX_MS} ms, ` +
        `token ${c.SIM_SEND_TOKEN ? 'sent back' : 'not sent'}` +
        (c.SIM_SEND_TOKEN && c.SIM_TOKENLESS_USERS > 0
          ? ` (not by the first ${c.SIM_TOKENLESS_USERS})`
          : '') +
        (c.bounded ? `, bounded: ${c.SIM_DURATION_S || '-'} s / ${c.SIM_RIDES || '-'} rides` : ''),
    );
    // An explicit controller and timer: a composite AbortSignal.any() of a timeout signal can be
    // garbage-collected before it fires.
    const stop = new AbortController();
    const abort = () => stop.abort();
    signal.addEventListener('abort', abort);
    const deadline = c.SIM_DURATION_S > 0 ? setTimeout(abort, c.SIM_DURATION_S * 1000) : undefined;
    const report = setInterval(() => this.logger.log(stats.summary()), c.SIM_REPORT_EVERY_S * 1000);
    try {
      await Promise.all(
        Array.from({ length: c.SIM_USERS }, (_, i) => this.user(i, stats, stop.signal, history)),
      );
    } finally {
      clearInterval(report);
      clearTimeout(deadline);
      signal.removeEventListener('abort', abort);
      // Last: it rejects if a write failed, and the timers above must be gone then too.
      await history?.close();
    }
    return stats;
  }

  private async user(
    n: number,
    stats: SimulationStats,
    stop: AbortSignal,
    history: HistoryWriter | undefined,
  ): Promise<void> {
    // One client per user, each starting at another API: with several (API_URLS), a user's
    // requests take them in turn, so every read goes to another process than its write did
    // (with the token that one minted), and the users' writes are spread over all of them.
    const client = new ApiClient(this.config.apiUrls, this.config.SIM_REQUEST_TIMEOUT_MS, n);
    const rider = await this.register(client, n, stats, stop);
    if (!rider) return;
    // One object for the user's lifetime: a rotation changes its key, and every acknowledged ride
    // (read back after the run) holds the user's current one.
    const auth: Record<string, string> = { authorization: `Bearer ${rider.key}` };
    const session = new Session(`u${n}`, history);
    const rotateEvery = this.config.SIM_ROTATE_EVERY;
    const sendsToken = this.config.SIM_SEND_TOKEN && n >= this.config.SIM_TOKENLESS_USERS;
    let last: { id: number; distance: number } | undefined;
    for (let rides = 0; !stop.aborted && this.takeRide(); rides++) {
      if (rotateEvery > 0 && rides > 0 && rides % rotateEvery === 0) {
        // Given up (counted): the old key goes on, unless the rotation committed unseen, and then
        // every request says so (401).
        const key = await this.rotateKey(client, stats, stop, auth, session);
        if (key) auth.authorization = `Bearer ${key}`;
      }
      const distance = Math.round((5 + Math.random() * 995) * 10) / 10;
      const headers = (): Record<string, string> =>
        sendsToken && session.token ? { ...auth, 'consistency-token': session.token } : auth;
      // While a write is retried (the primary down or hung), the user reads its last ride again:
      // reads must go on where a replica has the token.
      const previous = last;
      const meanwhile = previous
        ? () => this.readBack(client, stats, session, rider.id, previous, headers())
        : undefined;
      const started = operationTime();
      const written = await this.writeRide(client, stats, stop, auth, distance, meanwhile);
      const ride = written?.status === 201 ? (written.body as Ride) : undefined;
      session.record('write', started, null, written, ride ? { ride: ride.id, distance } : {});
      if (!ride) continue;
      stats.acked++;
      last = { id: ride.id, distance };
      const token = written!.headers.get('consistency-token');
      if (stats.trackAcknowledged)
        // The distance sent, not the answer's echo of it: a ride stored wrong is caught too.
        stats.acknowledged.push({ id: ride.id, distance, userId: rider.id, token, auth });
      await sleep(this.waitMs(), undefined, { signal: stop }).catch(() => undefined);
      const read = await this.readBack(client, stats, session, rider.id, last, headers());
      if (read === 'unreachable') {
        await sleep(200); // the API is unreachable: pause before the next ride
        continue;
      }
      if (read === 'shown' && history) await this.list(client, stats, session, headers(), rider.id);
    }
  }

  /**
   * GET /rides/:id of a ride this user wrote, checked: anything but 200 with
   * the distance sent, of this rider, is stale (a 404 too); another status is
   * an error of its kind (`read_<status>`). `checked`: the answer was judged
   * (a 200 or a 404).
   */
  private async readBack(
    client: ApiClient,
    stats: SimulationStats,
    session: Session,
    riderId: number,
    ride: { id: number; distance: number },
    headers: Record<string, string>,
  ): Promise<'shown' | 'stale' | 'failed' | 'unreachable'> {
    const sent = headers['consistency-token'] ?? null;
    const readStarted = operationTime();
    const read = await this.attempt(stats, 'read', () =>
      client.request('GET', `/rides/${ride.id}`, { headers }),
    );
    const shown = read?.status === 200 ? (read.body as Ride) : undefined;
    // Another rider's ride under this one's id is as wrong as a missing one.
    const found = shown && shown.user_id === riderId ? shown.distance : null;
    session.record('read', readStarted, sent, read, { ride: ride.id, distance: found });
    if (!read) return 'unreachable';
    stats.recordRead(read.headers.get('served-by'), read.ms);
    if (read.status !== 200 && read.status !== 404) {
      stats.recordError(`read_${read.status}`);
      return 'failed';
    }
    stats.checked++;
    if (found === ride.distance) return 'shown';
    stats.stale++;
    this.logger.error(
      `STALE read of ride ${ride.id} from ${read.headers.get('served-by')}: ${read.status} ${JSON.stringify(read.body)}`,
    );
    return 'stale';
  }

  /**
   * GET /rides?limit=20: the user's newest rides, recorded for the
   * monotonic-reads check. A ride of another rider in it counts as a stale
   * read: the API showed what this rider must never see.
   */
  private async list(
    client: ApiClient,
    stats: SimulationStats,
    session: Session,
    headers: Record<string, string>,
    riderId: number,
  ): Promise<void> {
    const started = operationTime();
    const listed = await this.attempt(stats, 'list', () =>
      client.request('GET', `/rides?limit=${LIST_LIMIT}`, { headers }),
    );
    const rows = listed?.status === 200 ? (listed.body as { rides: Ride[] }).rides : undefined;
    const rides = rows?.map((r) => ({ id: r.id, distance: r.distance }));
    session.record('list', started, headers['consistency-token'] ?? null, listed, {
      ...(rides ? { rides } : {}),
      limit: LIST_LIMIT,
    });
    if (listed) stats.recordRead(listed.headers.get('served-by'), listed.ms);
    if (listed && listed.status !== 200) stats.recordError(`list_${listed.status}`);
    if (listed?.status === 200) stats.checked++;
    const foreign = rows?.filter((r) => r.user_id !== riderId) ?? [];
    if (foreign.length > 0) {
      stats.stale++;
      this.logger.error(
        `FOREIGN rides in a list of rider ${riderId} from ${listed!.headers.get('served-by')}: ` +
          foreign.map((r) => `${r.id} (rider ${r.user_id})`).join(', '),
      );
    }
  }

  /**
   * POST /rides with an Idempotency-Key, retried (see {@link retried}) so
   * that a retry never creates a second ride. The 201, or null.
   */
  private async writeRide(
    client: ApiClient,
    stats: SimulationStats,
    stop: AbortSignal,
    auth: Record<string, string>,
    distance: number,
    meanwhile?: () => Promise<unknown>,
  ): Promise<ApiResponse | null> {
    const headers = { ...auth, 'idempotency-key': randomUUID() };
    return this.retried(stats, stop, {
      what: 'write',
      send: () => client.request('POST', '/rides', { body: { distance }, headers }),
      answered: () => stats.writes++,
      gaveUp: () => stats.givenUp++,
      meanwhile,
    });
  }

  /**
   * POST /users/me/api-keys with an Idempotency-Key, retried as a write is
   * (with the old key: a rotation that committed but whose answer was lost
   * accepts it once more); then {@link checkRevoked}. The new key; null when
   * the rotation was given up (or the run stopped).
   */
  private async rotateKey(
    client: ApiClient,
    stats: SimulationStats,
    stop: AbortSignal,
    auth: Readonly<Record<string, string>>,
    session: Session,
  ): Promise<string | null> {
    const headers = { ...auth, 'idempotency-key': randomUUID() };
    const rotated = await this.retried(stats, stop, {
      what: 'rotate',
      send: () => client.request('POST', '/users/me/api-keys', { headers }),
      answered: (answer) => session.observe(answer),
      gaveUp: () => stats.rotationsGivenUp++,
    });
    if (!rotated) return null;
    stats.rotations++;
    await this.checkRevoked(client, stats, auth, rotated.headers.get('consistency-token'));
    return (rotated.body as { api_key: string }).api_key;
  }

  /**
   * Sends a request until it is answered 201: a network error, a 5xx or a 429
   * (a rate limit) is sent again, the same (its Idempotency-Key with it),
   * backing off up to 2 s, or as long as Retry-After says, for
   * SIM_WRITE_RETRY_S. Each failed attempt counts as an error of its kind
   * (`<what>_<status>`). `answered` sees every answer; `gaveUp` hears of a
   * request given up (out of time, or the run stopped).
   */
  private async retried(
    stats: SimulationStats,
    stop: AbortSignal,
    {
      what,
      send,
      answered,
      gaveUp,
      meanwhile,
    }: {
      what: string;
      send: () => Promise<ApiResponse>;
      answered: (answer: ApiResponse) => void;
      gaveUp: () => void;
      /** Run during each pause before a retry (within it: a slow one delays the retry). */
      meanwhile?: () => Promise<unknown>;
    },
  ): Promise<ApiResponse | null> {
    const deadline = performance.now() + this.config.SIM_WRITE_RETRY_S * 1000;
    for (let backoff = 100; ; backoff = Math.min(backoff * 2, 2000)) {
      const answer = await this.attempt(stats, what, send);
      if (answer) answered(answer);
      if (answer?.status === 201) return answer;
      if (answer) stats.recordError(`${what}_${answer.status}`);
      const throttled = answer?.status === 429;
      const retryable = !answer || answer.status >= 500 || throttled;
      // A 429 says when to come back; a 5xx is backed off as before.
      const pause = throttled ? Math.max(backoff, retryAfterMs(answer.headers)) : backoff;
      if (!retryable || stop.aborted || performance.now() + pause > deadline) {
        if (retryable) gaveUp();
        return null;
      }
      await Promise.all([
        sleep(pause, undefined, { signal: stop }).catch(() => undefined),
        stop.aborted ? undefined : meanwhile?.(),
      ]);
      // Stopped while waiting: no request after the run's end.
      if (stop.aborted) {
        gaveUp();
        return null;
      }
    }
  }

  /**
   * A read with the key a rotation revoked, and its token: rides shown (a
   * 200) are a stale read; any answer but that and the 401 it must get is an
   * error of its kind (`revoked_<status>`), for the phase to judge.
   */
  private async checkRevoked(
    client: ApiClient,
    stats: SimulationStats,
    old: Record<string, string>,
    token: string | null,
  ): Promise<void> {
    const headers = token ? { ...old, 'consistency-token': token } : old;
    const read = await this.attempt(stats, 'revoked', () =>
      client.request('GET', '/rides?limit=1', { headers }),
    );
    if (read && read.status !== 200 && read.status !== 401)
      stats.recordError(`revoked_${read.status}`);
    if (read?.status !== 200) return;
    stats.stale++;
    this.logger.error(
      `STALE authentication: a revoked key read rides on ${read.headers.get('served-by')} with the rotation's token ${token}`,
    );
  }

  private async register(
    client: ApiClient,
    n: number,
    stats: SimulationStats,
    stop: AbortSignal,
  ): Promise<{ key: string; id: number } | null> {
    while (!stop.aborted) {
      const email = `sim-${n}-${randomUUID()}@example.com`;
      const response = await this.attempt(stats, 'register', () =>
        client.request('POST', '/users', { body: { email } }),
      );
      if (response?.status === 201) {
        const body = response.body as { api_key: string; id: number };
        return { key: body.api_key, id: body.id };
      }
      stats.recordError(`register_${response?.status ?? 'network'}`);
      // The sign-up rate limit says when to come back.
      const pause = response?.status === 429 ? Math.max(500, retryAfterMs(response.headers)) : 500;
      await sleep(pause, undefined, { signal: stop }).catch(() => undefined);
    }
    return null;
  }

  private async attempt<T extends { ms: number }>(
    stats: SimulationStats,
    what: string,
    fn: () => Promise<T>,
  ): Promise<T | null> {
    try {
      const result = await fn();
      stats.recordLatency(result.ms);
      return result;
    } catch (error) {
      stats.recordError(`${what}_network`);
      // Every user, every retry, while the API is down: said once per 10 s (counted in errors=).
      this.unreachable.warn(`${what} failed: ${messageOf(error)}`);
      return null;
    }
  }

  private takeRide(): boolean {
    if (this.config.SIM_RIDES > 0 && this.ridesStarted >= this.config.SIM_RIDES) return false;
    this.ridesStarted++;
    return true;
  }

  private waitMs(): number {
    const { SIM_WAIT_MIN_MS: min, SIM_WAIT_MAX_MS: max } = this.config;
    return min + Math.random() * Math.max(0, max - min);
  }
}

/** An answer's Retry-After in ms (delta-seconds, as the API sends it), capped at 30 s; 0 without one. */
function retryAfterMs(headers: Headers): number {
  const seconds = Number(headers.get('retry-after') ?? NaN);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 30) * 1000 : 0;
}
