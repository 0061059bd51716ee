import type { ApiResponse } from '../api.client';
import { tokenBelow, tokenOrder, type HistoryRecord } from './history.record';
import type { HistoryWriter } from './history.writer';

/**
 * The time of an operation in the history: epoch ms as of the process's
 * start, advanced by the monotonic clock. A user's operations keep their
 * order through a step of the wall clock, which the checker relies on.
 */
export const operationTime = (): number => performance.timeOrigin + performance.now();

/** One user's session: the newest token it holds, and its history records. */
export class Session {
  /** The newest Consistency-Token this user was given (what it sends back). */
  token: string | null = null;

  constructor(
    private readonly client: string,
    private readonly history: HistoryWriter | undefined,
  ) {}

  /** Takes the answer's token if it is newer than the one held; returns the answer's token. */
  observe(answer: ApiResponse | null): string | null {
    const received = answer?.headers.get('consistency-token') ?? null;
    // The newest: a token of a later timeline replaces one of an earlier, even at a lower position.
    if (tokenOrder(received) !== null && (this.token === null || tokenBelow(this.token, received)))
      this.token = received;
    return received;
  }

  record(
    op: HistoryRecord['op'],
    start: number,
    tokenSent: string | null,
    answer: ApiResponse | null,
    fields: Partial<HistoryRecord>,
  ): void {
    const received = this.observe(answer);
    this.history?.record({
      client: this.client,
      op,
      tokenSent,
      tokenReceived: received,
      status: answer?.status ?? 0,
      node: answer?.headers.get('served-by') ?? null,
      start,
      end: operationTime(),
      ...fields,
    });
  }
}
