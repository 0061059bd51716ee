export { User } from './entities/user.entity';
export { Ride } from './entities/ride.entity';
export { ENTITIES, MIGRATIONS } from './schema';
export { migrate } from './migrate';
