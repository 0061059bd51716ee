// Drizzle (drizzle-orm/node-postgres): works get a Drizzle database on the chosen connection.
export { drizzleAdapter, type DrizzleAdapterOptions, type DrizzleHandle } from './drizzle.adapter';
