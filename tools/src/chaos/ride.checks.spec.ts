import type { Client } from 'pg';
import { lostRides, type OnPrimary } from './ride.checks';

/** A primary holding `rows` (as the check's query answers them). */
const primaryWith =
  (rows: { id: string; distance: string; user_id: string }[]): OnPrimary =>
  (fn) =>
    fn({ query: () => Promise.resolve({ rows }) } as unknown as Client);

describe('lostRides', () => {
  const ride = { id: 5, distance: 10, userId: 7 };

  it('finds nothing lost when the ride is stored as acknowledged', async () => {
    const onPrimary = primaryWith([{ id: '5', distance: '10', user_id: '7' }]);
    expect(await lostRides(onPrimary, [ride])).toEqual([]);
  });

  it.each([
    ['missing', []],
    ['with another distance', [{ id: '5', distance: '10.5', user_id: '7' }]],
    [
      'with the same distance, of another rider (its id taken again)',
      [{ id: '5', distance: '10', user_id: '8' }],
    ],
  ])('counts a ride %s as lost', async (_, rows) => {
    expect(await lostRides(primaryWith(rows), [ride])).toEqual([ride]);
  });
});
