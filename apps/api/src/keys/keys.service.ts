import type { EntityManager } from 'typeorm';
import { Injectable, UnauthorizedException, UnprocessableEntityException } from '@nestjs/common';
import { ReplicaRouter } from '@app/replica-routing';
import type { AuthenticatedUser } from '../auth/authenticated-user.interface';
import { ApiConfig } from '../config/api.config';
import { idempotencyKeyHash } from '../http/idempotency-key.header';
import {
  issueKey,
  lockIdempotencyKey,
  lockRider,
  revokeKey,
  rotatedAnotherKey,
  rotationRetryable,
} from './api-keys.store';

/**
 * Rotation and revocation of a rider's API keys. A revoked key is refused at
 * once on the primary and, on replicas, within AUTH_MAX_STALENESS_MS.
 */
@Injectable()
export class KeysService {
  constructor(
    private readonly router: ReplicaRouter<EntityManager>,
    private readonly config: ApiConfig,
  ) {}

  /**
   * A new key for the caller; the key of this request is revoked in the same
   * transaction. Only a key the primary still holds live is exchanged: one
   * revoked meanwhile (authenticated on a replica within
   * AUTH_MAX_STALENESS_MS, or by a concurrent rotation) gets a 401, and no
   * key. Unless a rotation with this request's Idempotency-Key revoked it
   * (within IDEMPOTENCY_KEY_TTL_HOURS) and a key it issued is still live:
   * this is that rotation again, its answer lost, and it gets another key
   * (`replayed`). The keys of earlier answers stay valid (one may have
   * arrived after all, or its attempt may finish after this one); rotating
   * or revoking any of them revokes them all. An Idempotency-Key that
   * rotated another key of the rider is a 422: it revokes nothing.
   */
  async rotate(
    caller: AuthenticatedUser,
    idempotencyKey?: string,
  ): Promise<{ apiKey: string; replayed: boolean }> {
    const request = idempotencyKey === undefined ? null : idempotencyKeyHash(idempotencyKey);
    const { result } = await this.router.write(async (em) => {
      // The key first, then the rider, as every request that takes both (a sign-up takes the key).
      if (request !== null) await lockIdempotencyKey(em, request);
      await lockRider(em, caller.id);
      const ttl = this.config.IDEMPOTENCY_KEY_TTL_HOURS;
      if (request !== null && (await rotatedAnotherKey(em, caller.id, caller.keyId, request, ttl)))
        throw new UnprocessableEntityException(
          'this Idempotency-Key was used for another request (a rotation of another key): ' +
            'send a new one with every request',
        );
      if (await revokeKey(em, caller.keyId, request))
        return { apiKey: await issueKey(em, caller.id, request), replayed: false };
      if (request === null || !(await rotationRetryable(em, caller.keyId, request, ttl)))
        throw new UnauthorizedException('invalid API key: it was revoked');
      return { apiKey: await issueKey(em, caller.id, request), replayed: true };
    });
    return result;
  }

  /** Revokes the key of this request. */
  async revokeCurrent(caller: AuthenticatedUser): Promise<void> {
    // Revoking a key revoked meanwhile changes nothing: still a 204.
    await this.router.write(async (em) => {
      await lockRider(em, caller.id);
      await revokeKey(em, caller.keyId, null);
    });
  }
}
