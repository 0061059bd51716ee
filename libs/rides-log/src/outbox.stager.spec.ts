import type { EntityManager } from 'typeorm';
import { stageRideCreated } from './outbox.stager';

/** A manager whose staging statement returns `rows` (one per event staged). */
const answering = (rows: unknown[]) =>
  ({ query: () => Promise.resolve(rows) }) as unknown as EntityManager;

describe('stageRideCreated', () => {
  it('resolves when the statement staged one event', async () => {
    await expect(stageRideCreated(answering([{}]), { id: 7, userId: 1 })).resolves.toBeUndefined();
  });

  it('throws when it staged none (a ride it could not see), so the ride rolls back with it', async () => {
    await expect(stageRideCreated(answering([]), { id: 7, userId: 1 })).rejects.toThrow(
      'ride 7: 0 ride.created events staged, not 1',
    );
  });
});
