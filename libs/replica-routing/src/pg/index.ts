// Plain node-postgres: works get a query() / transaction() pair on the chosen connection.
export { pgAdapter, type PgHandle } from './pg.adapter';
