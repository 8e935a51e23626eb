/**
 * The errors the server answers requests with: one table giving each stable code its HTTP status,
 * its kind (the status class: the caller's credentials or request, or the server itself) and the
 * message used when the thrower has nothing more precise to say.
 */
import { CustodyError, type ErrorKind } from '../core/errors.js';

export const ServerErrors = {
  unauthenticated: { status: 401, kind: 'usage', message: 'credentials missing or not valid' },
  forbidden: { status: 403, kind: 'usage', message: 'these credentials do not allow this' },
  notFound: { status: 404, kind: 'invalid', message: 'no such resource' },
  badRequest: { status: 400, kind: 'invalid', message: 'the request is not valid' },
  timeout: { status: 408, kind: 'invalid', message: 'the request did not arrive in time' },
  conflict: { status: 409, kind: 'invalid', message: 'already received' },
  tooLarge: { status: 413, kind: 'invalid', message: 'the request body is too large' },
  unsupportedMediaType: { status: 415, kind: 'invalid', message: 'this content encoding or character set is not accepted' },
  unavailable: { status: 503, kind: 'operational', message: 'not ready' },
} as const satisfies Readonly<Record<string, { status: number; kind: ErrorKind; message: string }>>;

export type ServerErrorCode = keyof typeof ServerErrors;

export class ServerError extends CustodyError {
  override name = 'ServerError';
  declare readonly code: ServerErrorCode;
  readonly status: number;

  constructor(code: ServerErrorCode, detail?: string) {
    const entry = ServerErrors[code];
    super(code, entry.kind, detail ?? entry.message, { data: { status: entry.status } });
    this.status = entry.status;
  }
}

/** Bad server configuration: the process should not start. */
export class ConfigError extends CustodyError {
  override name = 'ConfigError';
  constructor(message: string) {
    super('config-invalid', 'usage', message);
  }
}
