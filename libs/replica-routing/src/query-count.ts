/** Statements sent to one node by this process (what `GET /replicas` and the benchmark report). */
export interface QueryCount {
  /** Every statement sent to the node (status refreshes and probes included). */
  total: number;
  /** Statements of routed work (reads, writes, token checks): the ones requests and jobs cost. */
  routed: number;
  /** Round trips of routed work: statements the caller waited for (pipelined ones ride along). */
  roundTrips: number;
}

/** Counts a statement of routed work; `trip`: the caller waited for it (false: it rode along). */
export function countRouted(count: QueryCount, trip: boolean): void {
  count.total++;
  count.routed++;
  if (trip) count.roundTrips++;
}
