import { ConflictException, Injectable } from '@nestjs/common';
import { User } from '@app/rides-schema';
import { ReplicaRouter } from '@app/replica-routing';
import { QueryFailedError, type EntityManager } from 'typeorm';
import { generateApiKey, hashApiKey } from '../auth/api-key.util';
import type { AuthenticatedUser } from '../auth/authenticated-user.interface';
import { ApiConfig } from '../config/api.config';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(
    private readonly router: ReplicaRouter<EntityManager>,
    private readonly config: ApiConfig,
  ) {}

  async create(email: string): Promise<{ user: User; apiKey: string }> {
    try {
      const { result } = await this.router.write(async (em) => {
        const user = await em.save(em.create(User, { email }));
        return { user, apiKey: await issueKey(em, user.id) };
      });
      return result;
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        throw new ConflictException('a user with this email already exists');
      }
      throw error;
    }
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
   */
  async authenticate(apiKey: string): Promise<AuthenticatedUser | null> {
    const fresh = (this.router.currentScope()?.token ?? null) === null;
    const staleness = this.config.AUTH_MAX_STALENESS_MS;
    const { result } = await this.router.read(
      (em) =>
        em.query<{ id: string; email: string; key_id: string }[]>(
          `SELECT u.id, u.email, k.id AS key_id
             FROM api_keys k JOIN users u ON u.id = k.user_id
            WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
          [hashApiKey(apiKey)],
        ),
      // A covered primary read raises the scope's token to the primary's position.
      fresh || staleness === 0
        ? { primary: true, cover: fresh }
        : { cover: false, freshWithinMs: staleness },
    );
    const row = result[0];
    return row ? { id: Number(row.id), email: row.email, keyId: Number(row.key_id) } : null;
  }
}

/** Stores a new key for `userId` and returns it: the only time it exists outside the client. */
export async function issueKey(em: EntityManager, userId: number): Promise<string> {
  const apiKey = generateApiKey();
  await em.query('INSERT INTO api_keys (user_id, key_hash) VALUES ($1, $2)', [
    userId,
    hashApiKey(apiKey),
  ]);
  return apiKey;
}
