import { createWriteStream, type WriteStream } from 'node:fs';
import type { HistoryRecord } from './history.record';

/** Appends operation records to a JSON-lines file (SIM_HISTORY_FILE) for the offline checker. */
export class HistoryWriter {
  private readonly out: WriteStream;

  constructor(readonly path: string) {
    this.out = createWriteStream(path, { flags: 'w' });
  }

  record(record: HistoryRecord): void {
    this.out.write(`${JSON.stringify(record)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) =>
      this.out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }
}
