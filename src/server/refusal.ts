/**
 * How an error is answered, on the bundle hot path and in express alike. Callers are told little:
 * a 401, 403 or 404 carries only its plain words (no JWT error code naming an issuer or key id,
 * no agent's cluster, not whether a webhook secret is set); the detail goes to the server's log,
 * rate-limited since anyone can cause it. Every 4xx closes the connection. An error that is no
 * ServerError is the server's own: logged, and answered without its message.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeAfter } from './connections.js';
import { ServerError, ServerErrors } from './errors.js';
import type { RateLimitedLog } from './server-log.js';

const TERSE = new Set([401, 403, 404]);

export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  err: unknown,
  log: { refusals: RateLimitedLog; error(message: string): void },
): ServerError {
  const e = err instanceof ServerError ? err : new ServerError('unavailable', 'internal error');
  const where = `${req.method} ${(req.url ?? '').split('?')[0]!.slice(0, 200)}`;
  if (!(err instanceof ServerError)) log.error(`${where} failed: ${(err as Error)?.message ?? String(err)}`);
  else if (e.status < 500) log.refusals.note(`${where} refused (${e.status}) for ${req.socket.remoteAddress ?? 'an unknown address'}: ${e.message}`);
  if (res.headersSent) {
    res.destroy();
    return e;
  }
  // A body left unread (a refused upload) is not read: the connection ends with the answer.
  if ((e.status >= 400 && e.status < 500) || !req.complete) closeAfter(req, res);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (e.status === 401) headers['www-authenticate'] = 'Bearer';
  res.writeHead(e.status, headers);
  res.end(JSON.stringify({ code: e.code, message: TERSE.has(e.status) ? ServerErrors[e.code].message : e.message }));
  return e;
}
