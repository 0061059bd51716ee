import type { Replay } from './wal.queries';

/**
 * Which timeline a standby replays when its WAL receiver streams nothing (the
 * primary is down or restarting): the one it last streamed, if its postmaster
 * has not restarted since. A running standby only replays forward along the
 * history it streamed (or the same history from an archive); to diverge from
 * it (a former primary started as a standby before pg_rewind, or a replica
 * that had received WAL the promoted node never got) it must restart, or it
 * cannot stream the new timeline at all. So reads keep going to replicas
 * through a primary outage, and a node whose history is in doubt serves none
 * until it streams again (docs/design.md, "Failover and timelines").
 */
export class StreamedTimelines {
  private readonly seen = new Map<string, { tli: number; started: string }>();

  /** `replay` with `tli` the timeline `node` is known to replay on (null: unknown). */
  effective(node: string, replay: Replay): Replay {
    const started = replay.started ?? null;
    if (replay.tli !== null) {
      if (started !== null) this.seen.set(node, { tli: replay.tli, started });
      return replay;
    }
    const last = this.seen.get(node);
    return last !== undefined && started !== null && last.started === started
      ? { ...replay, tli: last.tli }
      : replay;
  }
}
