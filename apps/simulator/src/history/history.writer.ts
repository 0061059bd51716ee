import { messageOf } from '@app/config';
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import type { HistoryRecord } from './history.record';

/** Appends operation records to a JSON-lines file (SIM_HISTORY_FILE) for the offline checker. */
export class HistoryWriter {
  private readonly out: WriteStream;
  /** The first write that failed (a full disk): the history is incomplete, and `close` says so. */
  private failed: Error | undefined;

  /** Opens (truncates) `path` now: a path that cannot be written stops the run before it starts. */
  constructor(readonly path: string) {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (error) {
      throw new Error(`SIM_HISTORY_FILE=${path}: cannot be written (${messageOf(error)})`);
    }
    this.out = createWriteStream(path, { fd });
    this.out.on('error', (error) => (this.failed ??= error));
  }

  record(record: HistoryRecord): void {
    if (!this.failed) this.out.write(`${JSON.stringify(record)}\n`);
  }

  /** Flushes and closes; rejects if any write failed (a history with holes must not be checked). */
  close(): Promise<void> {
    return new Promise((resolve, reject) =>
      this.out.end((error?: Error | null) => {
        const failed = this.failed ?? error;
        if (failed) reject(new Error(`SIM_HISTORY_FILE=${this.path}: ${failed.message}`));
        else resolve();
      }),
    );
  }
}
