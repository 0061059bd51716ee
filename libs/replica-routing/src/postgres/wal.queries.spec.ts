import { replayOfRows } from './wal.queries';

describe('replayOfRows', () => {
  it('reads the packed answer of a standby', () => {
    expect(replayOfRows([{ replay: '0/1A12A38|3|2026-12-06 11:04:49.245113+00|928' }])).toEqual({
      lsn: 0x1a12a38n,
      tli: 3,
      started: '2026-12-06 11:04:49.245113+00',
      pid: 928,
    });
  });

  it('reads NULLs (empty between the bars) as null: a primary, or a standby streaming nothing', () => {
    expect(replayOfRows([{ replay: '||2026-12-06 11:04:49+00|41' }])).toEqual({
      lsn: null,
      tli: null,
      started: '2026-12-06 11:04:49+00',
      pid: 41,
    });
    expect(replayOfRows([{ replay: '5/0||2026-12-06 11:04:49+00|41' }])).toMatchObject({
      lsn: 0x500000000n,
      tli: null,
    });
  });

  it('knows nothing of an answer without rows', () => {
    expect(replayOfRows([])).toEqual({ lsn: null, tli: null, started: null, pid: null });
  });
});
