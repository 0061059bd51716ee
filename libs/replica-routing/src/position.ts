import type { Lsn } from './lsn.util';

/**
 * A WAL position with the timeline it was read on: what a consistency token
 * carries. `tli` is null for a position whose timeline is not known (a token
 * of the older `X/Y` form).
 */
export interface Position {
  tli: number | null;
  lsn: Lsn;
}
