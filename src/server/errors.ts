/** Operational errors of the server, one catalog mapped to HTTP statuses in one place. */
export const ServerErrors = {
  unauthenticated: { status: 401, message: 'credentials missing or not valid' },
  forbidden: { status: 403, message: 'these credentials do not allow this' },
  notFound: { status: 404, message: 'no such resource' },
  badRequest: { status: 400, message: 'the request is not valid' },
  conflict: { status: 409, message: 'already received' },
  tooLarge: { status: 413, message: 'the request body is too large' },
  unsupportedMediaType: { status: 415, message: 'this content encoding or character set is not accepted' },
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
export class ConfigError extends Error {
  readonly code = 'config-invalid';
}
