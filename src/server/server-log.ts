/**
 * What the server says in its log without letting anyone flood it: refusals of unauthenticated
 * callers are logged with their details (the callers themselves are told little), but at most a
 * few per window, then how many were left out; conditions that persist across polls (a build
 * error, an unreadable repository) are logged when they change, not on every poll.
 */
import { excerpt } from '../core/text.js';

/** The longest message the server logs: callers' text (labels, paths, issuers) reaches messages. */
const LOG_MESSAGE_MAX = 2_000;

/**
 * Every message on one line, with no control or bidi character raw, and bounded: what sidecars
 * and unauthenticated callers send (labels, paths, token issuers, headers) is quoted in messages,
 * and must neither forge a line of the log nor drive the terminal of whoever reads it.
 */
export function lineLogger(logger: { info(m: string): void; error(m: string): void }): { info(m: string): void; error(m: string): void } {
  return { info: (m) => logger.info(excerpt(m, LOG_MESSAGE_MAX)), error: (m) => logger.error(excerpt(m, LOG_MESSAGE_MAX)) };
}

export class RateLimitedLog {
  private windowStart = -Infinity;
  private written = 0;
  private suppressed = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly write: (message: string) => void,
    private readonly perWindow = 20,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  note(message: string): void {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      this.flush();
      this.windowStart = t;
      this.written = 0;
    }
    if (this.written < this.perWindow) {
      this.written++;
      this.write(message);
      return;
    }
    this.suppressed++;
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.windowMs - (t - this.windowStart));
      this.timer.unref();
    }
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed === 0) return;
    this.write(`${this.suppressed} more refusal(s) not logged in ${this.windowMs / 1000} s`);
    this.suppressed = 0;
  }
}

/** Logs a condition per subject when it appears or changes, and once when it clears. */
export class ChangeLog {
  private readonly current = new Map<string, string>();

  constructor(
    private readonly write: (message: string) => void,
    private readonly writeCleared: (message: string) => void = write,
  ) {}

  /** `message` undefined: the condition cleared (logged as `cleared`, if given). */
  set(subject: string, message: string | undefined, cleared?: string): void {
    const before = this.current.get(subject);
    if (message === undefined) {
      if (before === undefined) return;
      this.current.delete(subject);
      if (cleared) this.writeCleared(cleared);
      return;
    }
    if (before === message) return;
    this.current.set(subject, message);
    this.write(message);
  }

  /** Forgets subjects no longer present (e.g. agents removed from Git). */
  keepOnly(subjects: ReadonlySet<string>, prefix = ''): void {
    for (const s of [...this.current.keys()]) if (s.startsWith(prefix) && !subjects.has(s.slice(prefix.length))) this.current.delete(s);
  }
}
