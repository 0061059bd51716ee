import type { EntityManager } from 'typeorm';
import { sql } from '../../../test/e2e/cluster.control';

/** The library tests' own table: rows a test writes and reads back. */
export const createNotesTable = () =>
  sql(
    'primary',
    'CREATE TABLE IF NOT EXISTS lib_notes (id serial PRIMARY KEY, body text NOT NULL)',
  );

export const insertNote = (em: EntityManager, body: string): Promise<number> =>
  em
    .query<{ id: number }[]>('INSERT INTO lib_notes (body) VALUES ($1) RETURNING id', [body])
    .then((r) => r[0]!.id);

export const findNote = (em: EntityManager, id: number): Promise<string | null> =>
  em
    .query<{ body: string }[]>('SELECT body FROM lib_notes WHERE id = $1', [id])
    .then((r) => r[0]?.body ?? null);
