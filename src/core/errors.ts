/**
 * The one error base of Custody. Every error a caller may meet carries a stable `code` (tools and
 * tests match on it, never on the text), a `kind` that decides the CLI's exit code and the
 * server's status class, a message saying what happened, a hint saying what to do, and where in
 * the input the problem is when it is in the input.
 */

/**
 * - `usage`: the command line or a setting is wrong (exit 2);
 * - `invalid`: the input (a spec, a key, the committed trees) is not acceptable (exit 1);
 * - `operational`: something outside the input failed: a disk, a remote, a server (exit 3).
 */
export type ErrorKind = 'usage' | 'invalid' | 'operational';

/** Where in the input a problem is. Lines and columns are 1-based. */
export interface Location {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** Dotted path of the field, e.g. `spec.flows[3].to`. */
  readonly field?: string;
}

export interface CustodyErrorOptions {
  /** What to do about it, one sentence. */
  readonly hint?: string;
  readonly location?: Location;
  /** Structured details (status codes, refs, the remote's own words); never a credential. */
  readonly data?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

export class CustodyError extends Error {
  override name = 'CustodyError';
  readonly hint?: string;
  readonly location?: Location;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    options: CustodyErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.hint !== undefined) this.hint = options.hint;
    if (options.location !== undefined) this.location = options.location;
    this.data = options.data ?? {};
  }
}

/** The exit code of each kind; 0 is success. */
export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = { invalid: 1, usage: 2, operational: 3 };

export function formatLocation(l: Location): string {
  return [l.file, l.line, l.line === undefined ? undefined : l.column].filter((p) => p !== undefined).join(':');
}

/** `error[code]: file:line:col: field: message (hint)`, the one way every error is printed. */
export function formatError(err: CustodyError): string {
  const where = err.location ? `${formatLocation(err.location)}: ` : '';
  const field = err.location?.field ? `${err.location.field}: ` : '';
  const hint = err.hint ? ` (${err.hint})` : '';
  return `error[${err.code}]: ${where}${field}${err.message}${hint}`;
}
