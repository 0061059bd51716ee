/** Per connection (the handle a work and its nested writes share): savepoints named so far. */
const named = new WeakMap<object, number>();

/**
 * A savepoint name not used before on `connection`. A write nested in a
 * write gets the outer write's handle, not the transaction it runs in, so
 * names by nesting depth repeat; and `ROLLBACK TO` a repeated name stops at
 * the newest savepoint of that name, keeping what the older one should have
 * rolled back.
 */
export function savepointName(connection: object, prefix = 'replica_routing'): string {
  const n = (named.get(connection) ?? 0) + 1;
  named.set(connection, n);
  return `${prefix}_${n}`;
}

/** Why an ORM's transaction inside `write()` refuses settings: it is a savepoint of the write's. */
export const SAVEPOINT_TAKES_NO_SETTINGS =
  'a transaction inside write() is a savepoint: it cannot set an isolation level or access mode';
