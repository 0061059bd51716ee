import type { EntityManager } from 'typeorm';
import { Injectable, UnauthorizedException } from '@nestjs/common';
import { ReplicaRouter } from '@app/replica-routing';
import type { AuthenticatedUser } from '../auth/authenticated-user.interface';
import { issueKey } from '../users/users.service';

/**
 * Rotation and revocation of a rider's API keys. A revoked key is refused at
 * once on the primary and, on replicas, within AUTH_MAX_STALENESS_MS.
 */
@Injectable()
export class KeysService {
  constructor(private readonly router: ReplicaRouter<EntityManager>) {}

  /**
   * A new key for the caller; the key of this request is revoked in the same
   * transaction. Only a key the primary still holds live is exchanged: one
   * revoked meanwhile (authenticated on a replica within
   * AUTH_MAX_STALENESS_MS, or by a concurrent rotation) gets a 401, and no key.
   */
  async rotate(caller: AuthenticatedUser): Promise<string> {
    const { result } = await this.router.write(async (em) => {
      if (!(await revoke(em, caller.keyId)))
        throw new UnauthorizedException('invalid API key: it was revoked');
      return issueKey(em, caller.id);
    });
    return result;
  }

  /** Revokes the key of this request. */
  async revokeCurrent(caller: AuthenticatedUser): Promise<void> {
    // Revoking a key revoked meanwhile changes nothing: still a 204.
    await this.router.write((em) => revoke(em, caller.keyId));
  }
}

/** Revokes the key; false when it was revoked already. */
async function revoke(
  em: { query: (sql: string, params: unknown[]) => Promise<unknown> },
  keyId: number,
): Promise<boolean> {
  // A SELECT, so that the count comes back the same way from any driver.
  const rows = (await em.query(
    `WITH revoked AS (
       UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id
     )
     SELECT count(*)::int AS n FROM revoked`,
    [keyId],
  )) as { n: number }[];
  return rows[0]?.n === 1;
}
