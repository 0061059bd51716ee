// Kysely: works get a Kysely<DB> on the chosen connection.
export { kyselyAdapter, type KyselyAdapterOptions } from './kysely.adapter';
