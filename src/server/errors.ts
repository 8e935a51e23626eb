import { CustodyError } from '../core/errors.js';

/** Operational errors of the server, one catalog mapped to HTTP statuses in one place. */
export const ServerErrors = {
  unauthenticated: { status: 401, message: 'credentials missing or not valid' },
  forbidden: { status: 403, message: 'these credentials do not allow this' },
  notFound: { status: 404, message: 'no such resource' },
  badRequest: { status: 400, message: 'the request is not valid' },
  tooLarge: { status: 413, message: 'the request body is too large' },
  unavailable: { status: 503, message: 'not ready' },
} as const;

export type ServerErrorCode = keyof typeof ServerErrors;

export class ServerError extends Error {
  readonly status: number;
  constructor(readonly code: ServerErrorCode, detail?: string) {
    super(detail ?? ServerErrors[code].message);
    this.status = ServerErrors[code].status;
  }
}

/** Bad server configuration: the process should not start. */
export class ConfigError extends CustodyError {
  override name = 'ConfigError';
  constructor(message: string) {
    super('config-invalid', 'usage', message);
  }
}
