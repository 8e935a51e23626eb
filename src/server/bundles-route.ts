/**
 * The hot path: `GET /bundles/<workflow>/<agent>.tar.gz`, answered straight from memory before
 * any framework routing, following OPA's download protocol (opa-notes 4): strong ETag and 304 on
 * If-None-Match; long polling when the request says `Prefer: ...;wait=N` (held until the agent's
 * bundle changes or the wait ends, then 304); the long-poll content type exactly on those
 * answers; and never a Content-Encoding (OPA's client would strip the gzip layer and fail).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BUNDLES_URL_PREFIX, KEY_ID_HEADER, parseBundlePath } from '../contract/index.js';
import type { Authenticator } from './auth.js';
import type { SidecarAuthorizer } from './authorize.js';
import type { Catalog, ServedBundle } from './catalog.js';
import type { ConnectionBudget } from './connections.js';
import { ServerError } from './errors.js';
import type { Metrics } from './metrics.js';
import { sendError } from './refusal.js';
import type { RateLimitedLog } from './server-log.js';

export const LONG_POLL_CONTENT_TYPE = 'application/vnd.openpolicyagent.bundles';
// Node gives header names in lowercase.
const KEY_ID = KEY_ID_HEADER.toLowerCase();

export function isBundleRequest(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && (req.url ?? '').startsWith(BUNDLES_URL_PREFIX);
}

/** `wait=N` of a `Prefer` header (parts joined by `;` or `,`), if any. */
export function preferredWait(prefer: string | undefined): number | undefined {
  for (const part of (prefer ?? '').split(/[;,]/)) {
    const m = /^\s*wait\s*=\s*(\d+)\s*$/i.exec(part);
    if (m) return Number(m[1]);
  }
  return undefined;
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const weak = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || weak(t) === weak(etag));
}

export function createBundleRoute(deps: { catalog: Catalog; auth: Authenticator; authorizeSidecar: SidecarAuthorizer; metrics: Metrics; connections: ConnectionBudget; log: { refusals: RateLimitedLog; error(message: string): void }; activeKeyId: string; longPollMaxSeconds: number }) {
  const { catalog, auth, authorizeSidecar, metrics, connections } = deps;
  const outcomes = new Map<string, { inc(): void }>();
  const count = (outcome: string) => {
    let c = outcomes.get(outcome);
    if (!c) outcomes.set(outcome, (c = metrics.bundleRequests.labels(outcome)));
    c.inc();
  };

  return async function serveBundle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const named = parseBundlePath(q < 0 ? raw : raw.slice(0, q));
    if (!named) return fail(req, res, new ServerError('notFound', `bundles are at ${BUNDLES_URL_PREFIX}<workflow>/<agent>.tar.gz`));
    const { workflow, agent } = named;
    let entry;
    try {
      // Static tokens are checked synchronously: no extra turn of the event loop on the hot path.
      const checked = auth.authenticate(req.headers.authorization);
      const identity = checked instanceof Promise ? await checked : checked;
      // An agent gets only its own bundle: least privilege across the owner's workflow.
      entry = authorizeSidecar(identity, { workflow, agent }).entry;
    } catch (err) {
      return fail(req, res, err);
    }
    const keyId = headerValue(req.headers[KEY_ID]) ?? deps.activeKeyId;
    const current = (): ServedBundle | undefined => catalog.get(workflow, agent)?.bundles.get(keyId);
    if (!current()) {
      connections.trust(req.socket);
      if (entry.bundles.size === 0) return fail(req, res, new ServerError('unavailable', 'the bundle has not built yet; see the rollout view'));
      return fail(req, res, new ServerError('badRequest', `this server does not sign with key "${keyId}"`));
    }
    connections.trust(req.socket);
    const wait = preferredWait(headerValue(req.headers.prefer));
    const contentType = wait !== undefined ? LONG_POLL_CONTENT_TYPE : 'application/gzip';
    const ifNoneMatch = headerValue(req.headers['if-none-match']);
    if (!matches(ifNoneMatch, current()!.etag)) return send(res, req, current()!, contentType, '200');
    if (wait === undefined || wait <= 0) return notModified(res, current()!.etag, contentType, '304');

    const seconds = Math.min(wait, deps.longPollMaxSeconds);
    await new Promise<void>((resolve) => {
      const key = `${workflow}/${agent}`;
      let done = false;
      const finish = (changed: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        cancel();
        res.off('close', onClose);
        const now = current();
        if (changed && now && !matches(ifNoneMatch, now.etag)) send(res, req, now, contentType, '200 long poll');
        else if (!res.destroyed) notModified(res, (now ?? entry.bundles.get(keyId)!).etag, contentType, '304 long poll');
        resolve();
      };
      const cancel = catalog.wait(key, () => finish(true));
      const timer = setTimeout(() => finish(false), seconds * 1000);
      const onClose = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        cancel();
        resolve();
      };
      res.on('close', onClose);
    });
  };

  function send(res: ServerResponse, req: IncomingMessage, bundle: ServedBundle, contentType: string, outcome: string) {
    count(outcome);
    res.writeHead(200, { 'content-type': contentType, 'content-length': bundle.bytes.length, etag: bundle.etag, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : bundle.bytes);
  }

  function notModified(res: ServerResponse, etag: string, contentType: string, outcome: string) {
    count(outcome);
    res.writeHead(304, { etag, 'content-type': contentType, 'cache-control': 'no-cache' });
    res.end();
  }

  function fail(req: IncomingMessage, res: ServerResponse, err: unknown) {
    // A refused caller keeps no connection (nor its place in the budget of connections).
    count(String(sendError(req, res, err, deps.log).status));
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
