import { Injectable, Logger, UnprocessableEntityException } from '@nestjs/common';
import { Ride } from '@app/rides-schema';
import { ReplicaRouter } from '@app/replica-routing';
import { stageRideCreated } from '@app/rides-log';
import type { EntityManager } from 'typeorm';
import { ApiConfig } from '../config/api.config';
import { requestHash } from './idempotency';

@Injectable()
export class RidesService {
  private readonly logger = new Logger(RidesService.name);

  constructor(
    private readonly router: ReplicaRouter<EntityManager>,
    private readonly config: ApiConfig,
  ) {}

  /**
   * Writes the ride on the primary: one transaction, one commit, with its
   * `ride.created` event staged in the outbox (the unified log). The response
   * carries the write's post-commit token; a later request without a token
   * authenticates on the primary and takes the primary's position then, which
   * covers this write too (see UsersService.authenticate).
   *
   * With an idempotency key, the key is claimed in the ride's own transaction:
   * a retry (even a concurrent one, which waits on the key's row) finds the
   * first ride and returns it; the same key with a different distance is a 422.
   */
  async create(
    userId: number,
    distance: number,
    key?: string,
  ): Promise<{ ride: Ride; replayed: boolean }> {
    const rounded = Math.round(distance * 10) / 10;
    const hash = requestHash({ distance: rounded });
    const { result } = await this.router.write(async (em) => {
      if (key !== undefined && !(await this.claimKey(em, userId, key, hash))) {
        return { ride: await this.replay(em, userId, key, hash), replayed: true };
      }
      const ride = await em.save(em.create(Ride, { userId, distance: rounded }));
      // The unified log's event, staged in the same transaction: it exists if and only if the ride does.
      await stageRideCreated(em, ride);
      if (key !== undefined) {
        await em.query('UPDATE idempotency_keys SET ride_id = $3 WHERE user_id = $1 AND key = $2', [
          userId,
          key,
          ride.id,
        ]);
      }
      return { ride, replayed: false };
    });
    return result;
  }

  /** True if the key is ours now (new, or expired and taken over). */
  private async claimKey(
    em: EntityManager,
    userId: number,
    key: string,
    hash: string,
  ): Promise<boolean> {
    const claimed = await em.query<unknown[]>(
      `INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash, ride_id = NULL, created_at = now()
         WHERE idempotency_keys.created_at < now() - make_interval(hours => $4)
       RETURNING 1`,
      [userId, key, hash, this.config.IDEMPOTENCY_KEY_TTL_HOURS],
    );
    return claimed.length > 0;
  }

  private async replay(
    em: EntityManager,
    userId: number,
    key: string,
    hash: string,
  ): Promise<Ride> {
    const [prior] = await em.query<{ request_hash: string; ride_id: string }[]>(
      'SELECT request_hash, ride_id::text FROM idempotency_keys WHERE user_id = $1 AND key = $2',
      [userId, key],
    );
    if (prior?.request_hash !== hash) {
      throw new UnprocessableEntityException(
        'this Idempotency-Key was used with a different request body',
      );
    }
    return em.getRepository(Ride).findOneByOrFail({ id: Number(prior.ride_id) });
  }

  async findOne(userId: number, id: string): Promise<Ride | null> {
    const { result, servedBy } = await this.router.read((em) =>
      em
        .getRepository(Ride)
        .createQueryBuilder('ride')
        .where('ride.id = :id AND ride.user_id = :userId', { id, userId })
        .getOne(),
    );
    this.logger.debug(`Reading ride ${id} from server '${servedBy}'`);
    return result;
  }

  async list(userId: number, limit: number, before?: string): Promise<Ride[]> {
    const { result } = await this.router.read((em) => {
      const query = em
        .getRepository(Ride)
        .createQueryBuilder('ride')
        .where('ride.user_id = :userId', { userId })
        .orderBy('ride.id', 'DESC')
        .limit(limit);
      if (before !== undefined) query.andWhere('ride.id < :before', { before });
      return query.getMany();
    });
    return result;
  }
}
