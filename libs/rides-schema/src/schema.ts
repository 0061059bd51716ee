import { replicaStatusesMigrations } from '@app/replica-routing/typeorm';
import { Ride } from './entities/ride.entity';
import { User } from './entities/user.entity';
import { InitialSchema1732000000100 } from './migrations/1732000000100-initial-schema.migration';
import { IdempotencyKeys1732000000200 } from './migrations/1732000000200-idempotency-keys.migration';
import { DropUserMinLsn1732000000300 } from './migrations/1732000000300-drop-user-min-lsn.migration';
import { ApiKeys1732000000400 } from './migrations/1732000000400-api-keys.migration';
import { RolePrivileges1732000000500 } from './migrations/1732000000500-role-privileges.migration';
import { UnifiedLog1732000000600 } from './migrations/1732000000600-unified-log.migration';
import { LogOutboxHardening1732000000700 } from './migrations/1732000000700-log-outbox-hardening.migration';
import { KeyIssueRetries1732000000800 } from './migrations/1732000000800-key-issue-retries.migration';
import { KeyIssueLookup1732000000900 } from './migrations/1732000000900-key-issue-lookup.migration';
import { ApiRidesAppendOnly1732000001000 } from './migrations/1732000001000-api-rides-append-only.migration';
import { RidesHaveEvents1732000001100 } from './migrations/1732000001100-rides-have-events.migration';
import { EventsHaveRides1732000001200 } from './migrations/1732000001200-events-have-rides.migration';

export const ENTITIES = [User, Ride];

/** Every migration, in order. Applied to the primary only; replicas get them by replication. */
export const MIGRATIONS = [
  ...replicaStatusesMigrations(),
  InitialSchema1732000000100,
  IdempotencyKeys1732000000200,
  DropUserMinLsn1732000000300,
  ApiKeys1732000000400,
  RolePrivileges1732000000500,
  UnifiedLog1732000000600,
  LogOutboxHardening1732000000700,
  KeyIssueRetries1732000000800,
  KeyIssueLookup1732000000900,
  ApiRidesAppendOnly1732000001000,
  RidesHaveEvents1732000001100,
  EventsHaveRides1732000001200,
];
