import type { EntityManager } from 'typeorm';
import { Injectable } from '@nestjs/common';
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

  /** A new key for the caller; the key of this request is revoked in the same transaction. */
  async rotate(caller: AuthenticatedUser): Promise<string> {
    const { result } = await this.router.write(async (em) => {
      await revoke(em, caller.keyId);
      return issueKey(em, caller.id);
    });
    return result;
  }

  /** Revokes the key of this request. */
  async revokeCurrent(caller: AuthenticatedUser): Promise<void> {
    await this.router.write((em) => revoke(em, caller.keyId));
  }
}

function revoke(
  em: { query: (sql: string, params: unknown[]) => Promise<unknown> },
  keyId: number,
) {
  return em.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [
    keyId,
  ]);
}
