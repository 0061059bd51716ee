import { Query } from 'pg';
import { sendCovered, type CoverAnswer } from './covered-query';
import type { PgConnection } from './pg-connection';

const COVER = { name: 'cover', text: 'SELECT 1 AS replay', column: 'replay' };

/** node-postgres' wire connection as a query writes to it: what was sent, and what it believes is parsed. */
function wire() {
  const sent: string[] = [];
  return {
    sent,
    parsedStatements: {} as Record<string, string>,
    submittedNamedStatements: {} as Record<string, string>,
    stream: {
      writable: true,
      cork: () => undefined,
      uncork: () => undefined,
      // Raw messages (the cover's tail): each one named as the calls below name theirs.
      write: (chunk: Buffer) => {
        for (let at = 0; at < chunk.length; at += 1 + chunk.readInt32BE(at + 1)) {
          const code = String.fromCharCode(chunk[at]!);
          const statement = () => {
            const from = chunk.indexOf(0, at + 5) + 1;
            return chunk.toString('utf8', from, chunk.indexOf(0, from));
          };
          sent.push(code === 'B' ? `bind ${statement()}` : code === 'E' ? 'execute' : 'sync');
        }
        return true;
      },
    },
    parse: (o: { name?: string }) => sent.push(`parse ${o.name || '(user)'}`),
    bind: (o: { statement?: string; binary?: boolean }) =>
      sent.push(`bind ${o.statement || '(user)'}${o.binary ? ' binary' : ''}`),
    describe: () => sent.push('describe'),
    execute: () => sent.push('execute'),
    sync: () => sent.push('sync'),
    flush: () => sent.push('flush'),
  };
}
type Wire = ReturnType<typeof wire>;

/** A client whose `query` submits at once to `w`, as a pipelining client does; the query, to drive. */
function client(w: Wire) {
  const queries: (Query & Record<string, (...a: unknown[]) => void>)[] = [];
  class Client {
    static Query = Query;
    query(q: Query & { submit(c: unknown): void }) {
      queries.push(q as never);
      q.submit(w);
    }
  }
  return { target: new Client() as unknown as PgConnection, queries };
}

const dbError = (code: string) => Object.assign(new Error(code), { code });
const field = (name: string) => ({ name, dataTypeID: 25, format: 'text' });

/** The user's statement answered with one row `x`, then the cover with its row. */
function answerUser(q: Record<string, (...a: unknown[]) => void>, w: Wire) {
  q.handleRowDescription!({ fields: [field('x')] });
  q.handleDataRow!({ fields: ['1'] });
  q.handleCommandComplete!({ text: 'SELECT 1' }, w);
}

describe('sendCovered', () => {
  it('writes the cover under the statement’s Sync, undescribed, parsing it once per connection', async () => {
    const w = wire();
    const { target, queries } = client(w);
    const first = sendCovered(target, ['SELECT $1::text AS x', ['1']], COVER)!;
    expect(w.sent).toEqual([
      'parse (user)',
      'bind (user)',
      'describe',
      'execute',
      'parse cover',
      'bind cover',
      'execute',
      'sync',
    ]);
    const q = queries[0]!;
    answerUser(q, w);
    q.handleDataRow!({ fields: ['0/10|1|t|5'] });
    q.handleCommandComplete!({ text: 'SELECT 1' }, w);
    // Answered before the work's result is delivered: the answer itself, no promise to await.
    expect(first.cover()).toEqual({ rows: [{ replay: '0/10|1|t|5' }] });
    q.handleReadyForQuery!(w);
    await expect(first.result).resolves.toMatchObject({ rows: [{ x: '1' }] });

    w.sent.length = 0;
    sendCovered(target, ['SELECT $1::text AS x', ['2']], COVER);
    expect(w.sent.filter((m) => m.endsWith('cover'))).toEqual(['bind cover']);
  });

  it('gives a promise of the cover when asked before it came', async () => {
    const w = wire();
    const { target, queries } = client(w);
    const sent = sendCovered(target, ['SELECT $1::text AS x', ['1']], COVER)!;
    const early = sent.cover();
    expect(early).toBeInstanceOf(Promise);
    const q = queries[0]!;
    answerUser(q, w);
    q.handleDataRow!({ fields: [null] });
    q.handleCommandComplete!({ text: 'SELECT 1' }, w);
    q.handleReadyForQuery!(w);
    await expect(early).resolves.toEqual({ rows: [{ replay: null }] });
  });

  it('leaves a statement without parameters, or a query object, to be sent as it is', () => {
    const { target } = client(wire());
    expect(sendCovered(target, ['SELECT 1'], COVER)).toBeUndefined();
    expect(sendCovered(target, [{ submit: () => undefined }], COVER)).toBeUndefined();
    expect(sendCovered(target, [null], COVER)).toBeUndefined();
  });

  const afterCoverError = async (code: string, parsed: boolean) => {
    const w = wire();
    if (parsed) w.parsedStatements[COVER.name] = COVER.text;
    const { target, queries } = client(w);
    const sent = sendCovered(target, ['SELECT $1::text AS x', ['1']], COVER)!;
    answerUser(queries[0]!, w);
    queries[0]!.handleError!(dbError(code), w);
    return { w, result: await sent.result, cover: await sent.cover() };
  };

  it('gives the work its result when the cover fails after it, and keeps the cover prepared', async () => {
    // A cancel or a recovery conflict: the named statement outlives the aborted implicit transaction.
    const { w, result, cover } = await afterCoverError('57014', true);
    expect(result).toMatchObject({ rows: [{ x: '1' }] });
    expect(cover).toBeUndefined();
    expect(w.parsedStatements[COVER.name]).toBe(COVER.text);
  });

  it('parses the cover again after 26000, and not after 42P05', async () => {
    expect((await afterCoverError('26000', true)).w.parsedStatements[COVER.name]).toBeUndefined();
    expect((await afterCoverError('42P05', false)).w.parsedStatements[COVER.name]).toBe(COVER.text);
  });

  it('forgets a cover it parsed when the work’s statement failed (the server skipped the Parse)', async () => {
    const w = wire();
    const { target, queries } = client(w);
    const sent = sendCovered(target, ['SELECT $1::int AS x', ['a']], COVER)!;
    queries[0]!.handleError!(dbError('22P02'), w);
    await expect(sent.result).rejects.toMatchObject({ code: '22P02' });
    expect(sent.cover()).toBeUndefined();
    expect(w.parsedStatements[COVER.name]).toBeUndefined();
  });

  it('fails the work with the error of a row it could not parse, whatever the cover did', async () => {
    const broken = {
      getTypeParser: () => () => {
        throw new Error('bad row');
      },
    };
    for (const coverFails of [false, true]) {
      const w = wire();
      const { target, queries } = client(w);
      const sent = sendCovered(
        target,
        [{ text: 'SELECT $1 AS x', values: ['1'], types: broken }],
        COVER,
      )!;
      const q = queries[0]!;
      answerUser(q, w);
      if (coverFails) q.handleError!(dbError('57014'), w);
      else {
        q.handleCommandComplete!({ text: 'SELECT 1' }, w);
        q.handleReadyForQuery!(w);
      }
      await expect(sent.result).rejects.toThrow('bad row');
      const cover: CoverAnswer = await sent.cover();
      expect(cover).toEqual(coverFails ? undefined : { rows: [] });
    }
  });

  it('takes nothing that comes after a failure as the cover (a timed-out work’s late rows)', async () => {
    const w = wire();
    const { target, queries } = client(w);
    const sent = sendCovered(target, ['SELECT $1::text AS x', ['1']], COVER)!;
    const q = queries[0]!;
    // node-postgres' query_timeout fails the query; the server answers it all the same.
    q.handleError!(new Error('Query read timeout'), w);
    await expect(sent.result).rejects.toThrow('Query read timeout');
    answerUser(q, w);
    q.handleDataRow!({ fields: ['0/10|1|t|5'] });
    q.handleCommandComplete!({ text: 'SELECT 1' }, w);
    expect(sent.cover()).toBeUndefined();
  });

  it('asks for the cover in text whatever the work asks for', () => {
    const w = wire();
    const { target } = client(w);
    sendCovered(target, [{ text: 'SELECT $1 AS x', values: ['1'], binary: true }], COVER);
    expect(w.sent.filter((m) => m.startsWith('bind'))).toEqual([
      'bind (user) binary',
      'bind cover',
    ]);
  });

  it('keeps a query’s own query_timeout', () => {
    const { target, queries } = client(wire());
    sendCovered(target, [{ text: 'SELECT $1 AS x', values: ['1'], query_timeout: 300 }], COVER);
    expect((queries[0] as unknown as { query_timeout: number }).query_timeout).toBe(300);
  });
});
