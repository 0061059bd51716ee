import { ConflictException, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { User } from '@app/rides-schema';
import { ReplicaRouter, type ReadOptions } from '@app/replica-routing';
import { QueryFailedError, type EntityManager } from 'typeorm';
import { hashApiKey } from '../auth/api-key.util';
import type { AuthenticatedUser } from '../auth/authenticated-user.interface';
import { ApiConfig } from '../config/api.config';
import { idempotencyKeyHash } from '../http/idempotency-key.header';
import {
  ISSUED_KEY_LIVE,
  issueKey,
  lockIdempotencyKey,
  lockRider,
  servedAnotherRequest,
  signUpRetryable,
  withinTtl,
} from '../keys/api-keys.store';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(
    private readonly router: ReplicaRouter<EntityManager>,
    private readonly config: ApiConfig,
  ) {}

  /**
   * Registers a rider with a first key. With an Idempotency-Key, a retry
   * whose email is taken by this very sign-up (its first key was issued for
   * that key, within IDEMPOTENCY_KEY_TTL_HOURS, and a key it issued is still
   * live), its answer lost, gets the rider again with another key
   * (`replayed`), not a 409. Earlier answers' keys stay valid, as for a
   * rotation (KeysService.rotate). An Idempotency-Key that issued a key for
   * another request within the TTL (another email's sign-up, a rotation) is a
   * 422, as on `POST /rides`: the same key, another request. Requests with
   * one Idempotency-Key run one at a time (`lockIdempotencyKey`): of two
   * sign-ups of two emails sent with it at once, the second is that 422.
   */
  async create(
    email: string,
    idempotencyKey?: string,
  ): Promise<{ user: User; apiKey: string; replayed: boolean }> {
    const request = idempotencyKey === undefined ? null : idempotencyKeyHash(idempotencyKey);
    try {
      const { result } = await this.router.write(async (em) => {
        const ttl = this.config.IDEMPOTENCY_KEY_TTL_HOURS;
        // One at a time per Idempotency-Key: a concurrent request with it is seen, not missed.
        if (request !== null) await lockIdempotencyKey(em, request);
        if (request !== null && (await servedAnotherRequest(em, request, email, ttl)))
          throw new UnprocessableEntityException(
            'this Idempotency-Key was used for another request (a sign-up with another email, ' +
              'or a rotation): send a new one with every request',
          );
        const user = await em.save(em.create(User, { email }));
        return { user, apiKey: await issueKey(em, user.id, request), replayed: false };
      });
      return result;
    } catch (error) {
      if (
        !(error instanceof QueryFailedError) ||
        (error.driverError as { code?: string }).code !== UNIQUE_VIOLATION
      )
        throw error;
      const again = request === null ? null : await this.signUpAgain(email, request);
      if (again) return again;
      throw new ConflictException('a user with this email already exists');
    }
  }

  /** The rider whose sign-up had this Idempotency-Key (its hash), with a new key; null if none. */
  private async signUpAgain(
    email: string,
    request: string,
  ): Promise<{ user: User; apiKey: string; replayed: boolean } | null> {
    const { result } = await this.router.write(async (em) => {
      // The key, then the rider: the order every request that takes both takes them in.
      await lockIdempotencyKey(em, request);
      const user = await em
        .getRepository(User)
        .createQueryBuilder('user')
        .where('lower(user.email) = lower(:email)', { email })
        .getOne();
      if (!user) return null;
      await lockRider(em, user.id);
      const ttl = this.config.IDEMPOTENCY_KEY_TTL_HOURS;
      if (!(await signUpRetryable(em, user.id, request, ttl))) return null;
      return { user, apiKey: await issueKey(em, user.id, request), replayed: true };
    });
    return result;
  }

  /**
   * Finds the key's user, if the key is not revoked. With a token in the
   * request (the client's own writes), a replica answers that has replayed
   * it and every commit older than AUTH_MAX_STALENESS_MS: a revoked key stops
   * working everywhere within that bound, and the primary is not asked.
   * Without a token, the row comes from the primary, and so does the
   * request's token: the primary's position after the lookup, which covers
   * every write acknowledged before this request, from any client
   * (docs/design.md, "Read-your-writes and monotonic reads").
   *
   * `writesFirst` (a `@WritesFirst()` route): without a token the lookup takes
   * no position, as the request's write gives it a later one. After a
   * failover between the two, that position could be past where the new
   * timeline begins: the write's token would name it, and the next read be
   * refused (410) though the write survived.
   */
  async authenticate(
    apiKey: string,
    { writesFirst = false }: { writesFirst?: boolean } = {},
  ): Promise<AuthenticatedUser | null> {
    const fresh = (this.router.currentScope()?.token ?? null) === null;
    const staleness = this.config.AUTH_MAX_STALENESS_MS;
    return this.keyUser(
      'k.key_hash = $1 AND k.revoked_at IS NULL',
      [hashApiKey(apiKey)],
      // A covered primary read raises the scope's token to the primary's position.
      fresh || staleness === 0
        ? { primary: true, cover: fresh && !writesFirst }
        : { cover: false, freshWithinMs: staleness },
    );
  }

  /**
   * The user of a key revoked by a rotation with this Idempotency-Key, within
   * IDEMPOTENCY_KEY_TTL_HOURS: that rotation's retry may authenticate with
   * it while a key that rotation issued is live (KeysService.rotate then
   * issues another). Asked on the primary, which revoked it; its position
   * raises the request's token, unless `writesFirst` (see authenticate).
   * Null for any other key.
   */
  async authenticateRotationRetry(
    apiKey: string,
    idempotencyKey: string,
    { writesFirst = false }: { writesFirst?: boolean } = {},
  ): Promise<AuthenticatedUser | null> {
    return this.keyUser(
      `k.key_hash = $1 AND k.revoked_for = $2
       AND ${withinTtl('k.revoked_at', '$3')} AND ${ISSUED_KEY_LIVE}`,
      [
        hashApiKey(apiKey),
        idempotencyKeyHash(idempotencyKey),
        this.config.IDEMPOTENCY_KEY_TTL_HOURS,
      ],
      { primary: true, cover: !writesFirst },
    );
  }

  /** The user of the one key `condition` (on `api_keys k`) finds, with that key's id; null if none. */
  private async keyUser(
    condition: string,
    params: unknown[],
    options: ReadOptions,
  ): Promise<AuthenticatedUser | null> {
    const { result } = await this.router.read(
      (em) =>
        em.query<{ id: string; email: string; key_id: string }[]>(
          `SELECT u.id, u.email, k.id AS key_id
             FROM api_keys k JOIN users u ON u.id = k.user_id
            WHERE ${condition}`,
          params,
        ),
      options,
    );
    const row = result[0];
    return row ? { id: Number(row.id), email: row.email, keyId: Number(row.key_id) } : null;
  }
}
