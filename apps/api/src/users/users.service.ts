import { ConflictException, Injectable } from '@nestjs/common';
import { User } from '@app/rides-schema';
import { ReplicaRouter } from '@app/replica-routing';
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
   * Finds the key's user. With a token in the request (the client's own
   * writes), a replica that has replayed it answers: the primary is not asked.
   * Without one, the row comes from the primary, and so does the request's
   * token: the primary's position after the lookup, which covers every write
   * acknowledged before this request, from any client (docs/design.md,
   * "Read-your-writes and monotonic reads").
   */
  async authenticate(apiKey: string): Promise<AuthenticatedUser | null> {
    const fresh = (this.router.currentScope()?.token ?? null) === null;
    const { result } = await this.router.read(
      (em) =>
        em.query<{ id: string; email: string }[]>(
          'SELECT id, email FROM users WHERE api_key_hash = $1',
          [hashApiKey(apiKey)],
        ),
      // A covered primary read raises the scope's token to the primary's position.
      { primary: fresh, cover: fresh },
    );
    const row = result[0];
    return row ? { id: Number(row.id), email: row.email } : null;
  }
}
