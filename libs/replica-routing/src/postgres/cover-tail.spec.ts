import { createRequire } from 'node:module';
import { coverTail } from './cover-tail';

describe('coverTail', () => {
  it('is what pg-protocol serializes for the cover’s Bind, Execute and Sync', () => {
    // pg's own serializer, from where pg resolves it.
    const { serialize } = createRequire(require.resolve('pg'))('pg-protocol') as {
      serialize: Record<string, (config?: object) => Buffer>;
    };
    const expected = Buffer.concat([
      serialize.bind!({ portal: '', statement: 'replica_routing_replay', values: [] }),
      serialize.execute!({ portal: '' }),
      serialize.sync!(),
    ]);
    expect(coverTail('replica_routing_replay').equals(expected)).toBe(true);
  });
});
