/**
 * How the CLI reports a failure: every error is a CustodyError, printed on one line as
 * `custody <command>: error[<code>]: <message> (<hint>)`, its exit code following its kind.
 */
import { terminalText } from '../core/text.js';
import { CustodyError, formatError, type CustodyErrorOptions } from '../core/errors.js';
import { formatDiagnostic, type Diagnostic } from '../workflow/index.js';

/** The command line (or a setting) is wrong: exit 2. */
export class UsageError extends CustodyError {
  override name = 'UsageError';
  constructor(message: string, options: CustodyErrorOptions = {}) {
    super('usage', 'usage', message, options);
  }
}

/** Something outside the input failed (a file, a server): exit 3, distinct from bad input. */
export class OperationalError extends CustodyError {
  override name = 'OperationalError';
  constructor(message: string, options: CustodyErrorOptions = {}) {
    super('operational', 'operational', message, options);
  }
}

/** The error as a CustodyError, or undefined for a failure nobody anticipated (a bug). */
export function asCustodyError(err: unknown): CustodyError | undefined {
  return err instanceof CustodyError ? err : undefined;
}

/** One line per error (or warning); a usage error without a hint of its own points at the command's help. */
export function printError(out: { write(s: string): unknown }, command: string | undefined, err: CustodyError, severity: 'error' | 'warning' = 'error'): void {
  const helpHint = command !== undefined && err.kind === 'usage' && !err.hint;
  const shown = helpHint
    ? new CustodyError(err.code, err.kind, err.message, {
        hint: `run custody ${command} --help for usage`,
        ...(err.location ? { location: err.location } : {}),
      })
    : err;
  out.write(
    `custody${command === undefined ? '' : ` ${command}`}: ${terminalText(formatError(shown).replace(/^error\[/, `${severity}[`)).replace(/\n/g, ' ')}\n`,
  );
}

/** Spec problems, each as an error is printed, with its own severity. */
export function printDiagnostics(out: { write(s: string): unknown }, command: string, diagnostics: readonly Diagnostic[]): void {
  const perFile = new Map<string, number>();
  for (const d of diagnostics) {
    const n = (perFile.get(d.file) ?? 0) + 1;
    perFile.set(d.file, n);
    // A binary or badly broken file can yield thousands of problems; the first ones tell what is wrong.
    if (n <= MAX_DIAGNOSTICS_PER_FILE) out.write(`custody ${command}: ${terminalText(formatDiagnostic(d)).replace(/\n/g, ' ')}\n`);
  }
  for (const [file, n] of perFile) {
    if (n > MAX_DIAGNOSTICS_PER_FILE) out.write(`custody ${command}: ${terminalText(file)}: ${n - MAX_DIAGNOSTICS_PER_FILE} more problems not shown\n`);
  }
}

/** How many problems of one file are printed. */
export const MAX_DIAGNOSTICS_PER_FILE = 50;
