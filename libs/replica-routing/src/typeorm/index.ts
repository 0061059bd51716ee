// TypeORM: works get an EntityManager; the status table's migrations.
export { typeormAdapter, type TypeOrmAdapterOptions } from './typeorm.adapter';
export {
  AddReplicaStatusLagSeconds1732000000010,
  CreateReplicaStatuses1732000000000,
  replicaStatusesLagSecondsMigration,
  replicaStatusesMigration,
  replicaStatusesMigrations,
} from './create-replica-statuses.migration';
