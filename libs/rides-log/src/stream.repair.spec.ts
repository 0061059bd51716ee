import { streamRepair } from './stream.repair';

describe('streamRepair', () => {
  const outbox = { published: 12n, sequenced: 12n, slowest: 4n, reading: [4n], oldest: 1n };
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

  it('never rebuilds below what the outbox still holds (a consumer registered after retention ran)', () => {
    // Retention deleted seqs 1..4999 once every consumer had passed them; a new one registered at 0.
    const late = { published: 6000n, sequenced: 6000n, slowest: 0n, reading: [], oldest: 5000n };
    expect(streamRepair(stream(5000n, 6000n), late)).toEqual({ rebuild: null, from: 6000n });
    // What the outbox holds is still repaired: a stream that lost seqs 5000..5499.
    expect(streamRepair(stream(5500n, 6000n), late)).toEqual({
      rebuild: expect.stringMatching(/lacks seqs 5000\.\.5499/) as string,
      from: 4999n,
    });
    // But only from the slowest consumer it can serve: the others are at 5800, the stream was
    // trimmed below them, and nothing is rebuilt for the one stopped on its gap.
    const others = { ...late, reading: [5800n] };
    expect(streamRepair(stream(5801n, 6000n), others)).toEqual({ rebuild: null, from: 6000n });
    expect(streamRepair(stream(5900n, 6000n), others)).toEqual({
      rebuild: expect.stringMatching(/lacks seqs 5801\.\.5899/) as string,
      from: 5800n,
    });
  });
});
