import { streamRepair } from './stream.repair';

describe('streamRepair', () => {
  const outbox = { published: 12n, sequenced: 12n, slowest: 4n };
  const stream = (first: bigint, last: bigint, top = last, length = last - first + 1n) => ({
    first,
    last,
    top,
    length,
  });

  it('leaves a whole stream alone, and publishes a lost end again from where it stops', () => {
    expect(streamRepair(stream(5n, 12n), outbox)).toEqual({ rebuild: null, from: 12n });
    expect(streamRepair(stream(5n, 9n), outbox)).toEqual({ rebuild: null, from: 9n });
  });

  it('rebuilds from the slowest consumer a stream that lacks its start, a middle, or is not this database’s', () => {
    const rebuilt = (why: RegExp) => ({ rebuild: expect.stringMatching(why) as string, from: 4n });
    expect(streamRepair(stream(8n, 12n), outbox)).toEqual(rebuilt(/lacks seqs 5\.\.7/));
    expect(streamRepair(stream(5n, 12n, 12n, 6n), outbox)).toEqual(rebuilt(/holds 6 entries/));
    expect(streamRepair(stream(5n, 20n), outbox)).toEqual(rebuilt(/another database/));
    expect(streamRepair(stream(5n, 12n), outbox, true)).toEqual(rebuilt(/other events/));
  });
});
