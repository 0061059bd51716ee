import type { Logger } from '@nestjs/common';

/** Distinct warnings remembered at most (the oldest are forgotten first). */
const REMEMBERED = 100;

/**
 * Logs a warning that repeats (a primary down for 30 s, retried every
 * 0.5 s) once, then at most every `everyMs` with how often it recurred. Each
 * distinct message on its own: two causes that alternate (a read and a
 * write failing) are each said once.
 */
export class QuietWarner {
  private readonly seen = new Map<string, { at: number; repeats: number }>();

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly everyMs = 10_000,
  ) {}

  /** `key`: what makes two warnings the same (default: the message; say, without its numbers). */
  warn(message: string, key = message): void {
    const now = performance.now();
    const seen = this.seen.get(key);
    if (seen && now - seen.at < this.everyMs) {
      seen.repeats++;
      return;
    }
    const again = seen && seen.repeats > 0 ? ` (${seen.repeats} more times since)` : '';
    this.logger.warn(`${message}${again}`);
    this.seen.delete(key);
    this.seen.set(key, { at: now, repeats: 0 });
    // Newest last: the first is the one said longest ago.
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
  }
}

/** An error's message, for a warning. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
