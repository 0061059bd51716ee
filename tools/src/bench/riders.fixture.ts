import { randomUUID } from 'node:crypto';
import { header, type HttpClient } from './http.client';

/** A user of the bench with one ride: what a connection of the read phases acts as. */
export interface Rider {
  email: string;
  /** `{ authorization: 'Bearer ...' }` */
  auth: Record<string, string>;
  rideId: number;
  distance: number;
  /** The `Consistency-Token` of the ride's write. */
  token: string;
}

/** A fresh e-mail address per call: users are never reused across phases by accident. */
export function benchEmail(label: string): string {
  return `bench-${label}-${randomUUID()}@example.com`;
}

export async function createUser(
  client: HttpClient,
  label: string,
): Promise<Record<string, string>> {
  const { body } = await client.json<{ api_key: string }>(
    'POST',
    '/users',
    {},
    {
      email: benchEmail(label),
    },
  );
  return { authorization: `Bearer ${body.api_key}` };
}

/** `count` users, each with one ride written through `client`. */
export async function createRiders(
  client: HttpClient,
  count: number,
  label: string,
): Promise<Rider[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const email = benchEmail(label);
      const { body: user } = await client.json<{ api_key: string }>(
        'POST',
        '/users',
        {},
        { email },
      );
      const auth = { authorization: `Bearer ${user.api_key}` };
      const distance = 10 + i / 10;
      const { body: ride, response } = await client.json<{ id: number; distance: number }>(
        'POST',
        '/rides',
        auth,
        { distance },
      );
      const token = header(response, 'consistency-token');
      if (!token) throw new Error('POST /rides answered without a Consistency-Token header');
      return { email, auth, rideId: ride.id, distance: ride.distance, token };
    }),
  );
}
