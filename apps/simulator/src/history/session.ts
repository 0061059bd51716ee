import type { ApiResponse } from '../api.client';
import { tokenPosition, type HistoryRecord } from './history.record';
import type { HistoryWriter } from './history.writer';

/** One user's session: the newest token it holds, and its history records. */
export class Session {
  /** The newest Consistency-Token this user was given (what it sends back). */
  token: string | null = null;

  constructor(
    private readonly client: string,
    private readonly history: HistoryWriter | undefined,
  ) {}

  record(
    op: HistoryRecord['op'],
    start: number,
    tokenSent: string | null,
    answer: ApiResponse | null,
    fields: Partial<HistoryRecord>,
  ): void {
    const received = answer?.headers.get('consistency-token') ?? null;
    const position = tokenPosition(received);
    if (position !== null && (this.token === null || position > tokenPosition(this.token)!))
      this.token = received;
    this.history?.record({
      client: this.client,
      op,
      tokenSent,
      tokenReceived: received,
      status: answer?.status ?? 0,
      node: answer?.headers.get('served-by') ?? null,
      start,
      end: Date.now(),
      ...fields,
    });
  }
}
