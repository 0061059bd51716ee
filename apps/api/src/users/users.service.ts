import { ConflictException, Injectable } from '@nestjs/common';
import { User } from '@app/rides-schema';
import { ReplicaRouter, formatLsn, type Lsn } from '@app/replica-routing';
import { QueryFailedError } from 'typeorm';
import { generateApiKey, hashApiKey } from '../auth/api-key.util';
import type { AuthenticatedUser } from '../auth/authenticated-user.interface';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(private readonly router: ReplicaRouter) {}

  async create(email: string): Promise<{ user: User; apiKey: string }> {
    const apiKey = generateApiKey();
    try {
      const { result: user } = await this.router.write((em) =>
        em.save(em.create(User, { email, apiKeyHash: hashApiKey(apiKey) })),
      );
      return { user, apiKey };
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
   * Finds the key's user and raises the request's token to the user's last
   * write. Without a client token the row must come from the primary (it holds
   * the newest min_lsn): one primary query. With one, a replica that has
   * replayed the client's token answers, and the primary is not asked at all.
   */
  async authenticate(apiKey: string): Promise<AuthenticatedUser | null> {
    const fresh = (this.router.currentScope()?.token ?? null) === null;
    const { result } = await this.router.read(
      (em) =>
        em.query<{ id: string; email: string; min_lsn: string }[]>(
          'SELECT id, email, min_lsn::text AS min_lsn FROM users WHERE api_key_hash = $1',
          [hashApiKey(apiKey)],
        ),
      { primary: fresh, cover: false },
    );
    const row = result[0];
    if (!row) return null;
    this.router.require(row.min_lsn);
    return { id: Number(row.id), email: row.email };
  }

  /** Raises the user's min_lsn to `token`; GREATEST so that a slower, older write never lowers it. */
  async raiseMinLsn(userId: number, token: Lsn): Promise<void> {
    await this.router.write(
      (em) =>
        em.query('UPDATE users SET min_lsn = GREATEST(min_lsn, $1::pg_lsn) WHERE id = $2', [
          formatLsn(token),
          userId,
        ]),
      { transaction: false },
    );
  }
}
