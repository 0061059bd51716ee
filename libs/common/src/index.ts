export { loadEnv } from './config/env.loader';
export { validateConfig } from './config/config.validator';
export { DatabaseConfig } from './config/database.config';
export { User } from './database/entities/user.entity';
export { Ride } from './database/entities/ride.entity';
export { ENTITIES, MIGRATIONS } from './database/schema';
export { migrate } from './database/migrate';
