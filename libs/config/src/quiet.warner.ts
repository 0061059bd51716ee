import type { Logger } from '@nestjs/common';

/**
 * Logs a warning that repeats (a primary down for 30 s, retried every
 * 0.5 s) once, then at most every `everyMs` with how often it recurred.
 */
export class QuietWarner {
  private last = '';
  private lastAt = 0;
  private repeats = 0;

  constructor(
    private readonly logger: Logger,
    private readonly everyMs = 10_000,
  ) {}

  warn(message: string): void {
    const now = Date.now();
    if (message === this.last && now - this.lastAt < this.everyMs) {
      this.repeats++;
      return;
    }
    const again =
      message === this.last && this.repeats > 0 ? ` (${this.repeats} more times since)` : '';
    this.logger.warn(`${message}${again}`);
    this.last = message;
    this.lastAt = now;
    this.repeats = 0;
  }
}

/** An error's message, for a warning. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
