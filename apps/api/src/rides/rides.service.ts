import { Injectable, Logger } from '@nestjs/common';
import { Ride } from '@app/common';
import { ReplicaRouter } from '@app/replica-routing';
import { UsersService } from '../users/users.service';

@Injectable()
export class RidesService {
  private readonly logger = new Logger(RidesService.name);

  constructor(
    private readonly router: ReplicaRouter,
    private readonly users: UsersService,
  ) {}

  /**
   * Writes the ride on the primary, then raises the user's min_lsn to the
   * write's post-commit token. (Storing it inside the ride's transaction, as
   * the original demo does, would store a position before the commit record.)
   */
  async create(userId: number, distance: number): Promise<Ride> {
    const { result: ride, token } = await this.router.write((em) =>
      em.save(em.create(Ride, { userId, distance: Math.round(distance * 10) / 10 })),
    );
    await this.users.raiseMinLsn(userId, token!);
    return ride;
  }

  async findOne(userId: number, id: string): Promise<Ride | null> {
    const { result, servedBy } = await this.router.read((em) =>
      em
        .getRepository(Ride)
        .createQueryBuilder('ride')
        .where('ride.id = :id AND ride.user_id = :userId', { id, userId })
        .getOne(),
    );
    this.logger.log(`Reading ride ${id} from server '${servedBy}'`);
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
