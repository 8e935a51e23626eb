/**
 * The hot path: `GET /bundles/<workflow>/<agent>.tar.gz`, answered straight from memory before
 * any framework routing, following OPA's download protocol (opa-notes 4): strong ETag and 304 on
 * If-None-Match; long polling when the request says `Prefer: ...;wait=N` (held until the agent's
 * bundle changes or the wait ends, then 304); the long-poll content type exactly on those
 * answers; and never a Content-Encoding (OPA's client would strip the gzip layer and fail).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BUNDLES_URL_PREFIX, KEY_ID_HEADER, parseBundlePath } from '../contract/index.js';
import type { Authenticator, Identity } from './auth.js';
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
  // Most requests are plain revalidations: no header, nothing to split.
  if (!prefer) return undefined;
  for (const part of prefer.split(/[;,]/)) {
    const m = /^\s*wait\s*=\s*(\d+)\s*$/i.exec(part);
    if (m) return Number(m[1]);
  }
  return undefined;
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  // What OPA sends back: the ETag it was given, exactly.
  if (ifNoneMatch === etag) return true;
  const weak = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || weak(t) === weak(etag));
}

/**
 * Each bundle's response headers, made once per bundle (a bundle changes with a commit, not per
 * request): a flat list as node:http takes it, with the length already a string. node:http reads
 * these lists and never changes them.
 */
interface Answers {
  readonly ok: string[];
  readonly okLongPoll: string[];
  readonly notModified: string[];
  readonly notModifiedLongPoll: string[];
}

function answersFor(bundle: ServedBundle): Answers {
  const ok = (type: string) => ['content-type', type, 'content-length', String(bundle.bytes.length), 'etag', bundle.etag, 'cache-control', 'no-cache'];
  const notModified = (type: string) => ['etag', bundle.etag, 'content-type', type, 'cache-control', 'no-cache'];
  return {
    ok: ok(GZIP_CONTENT_TYPE),
    okLongPoll: ok(LONG_POLL_CONTENT_TYPE),
    notModified: notModified(GZIP_CONTENT_TYPE),
    notModifiedLongPoll: notModified(LONG_POLL_CONTENT_TYPE),
  };
}

const GZIP_CONTENT_TYPE = 'application/gzip';

type Named = { readonly workflow: string; readonly agent: string };

export function createBundleRoute(deps: {
  catalog: Catalog;
  auth: Authenticator;
  authorizeSidecar: SidecarAuthorizer;
  metrics: Metrics;
  connections: ConnectionBudget;
  log: { refusals: RateLimitedLog; error(message: string): void };
  activeKeyId: string;
  longPollMaxSeconds: number;
}) {
  const { catalog, auth, authorizeSidecar, metrics, connections } = deps;
  // Kept with the bundle they describe, and gone with it.
  const answers = new WeakMap<ServedBundle, Answers>();
  const answersOf = (bundle: ServedBundle) => {
    let a = answers.get(bundle);
    if (!a) answers.set(bundle, (a = answersFor(bundle)));
    return a;
  };
  const count = (outcome: string) => metrics.countBundleRequest(outcome);
  const lastUrlOn = new WeakMap<object, { readonly url: string; readonly named: Named }>();

  /**
   * Answers at once when the caller's token is known (a static token, or a ServiceAccount token
   * verified before): no promise and no extra turn of the event loop on the hot path. Returns a
   * promise only while a token is verified.
   */
  return function serveBundle(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const raw = req.url ?? '/';
    // A sidecar asks for the same URL on every request of its connection: parsed once per connection.
    const last = lastUrlOn.get(req.socket);
    let named: Named | undefined;
    if (last !== undefined && last.url === raw) named = last.named;
    else {
      const q = raw.indexOf('?');
      named = parseBundlePath(q < 0 ? raw : raw.slice(0, q));
      if (named) lastUrlOn.set(req.socket, { url: raw, named });
    }
    if (!named) return fail(req, res, new ServerError('notFound', `bundles are at ${BUNDLES_URL_PREFIX}<workflow>/<agent>.tar.gz`));
    let checked;
    try {
      checked = auth.authenticate(req.headers.authorization, req.socket);
    } catch (err) {
      return fail(req, res, err);
    }
    if (checked instanceof Promise)
      return checked.then(
        (identity) => answer(req, res, named, identity),
        (err: unknown) => fail(req, res, err),
      );
    return answer(req, res, named, checked);
  };

  function answer(req: IncomingMessage, res: ServerResponse, named: Named, identity: Identity): Promise<void> | undefined {
    let caller;
    try {
      // An agent gets only its own bundle: least privilege across the owner's workflow.
      caller = authorizeSidecar(identity, named);
    } catch (err) {
      return fail(req, res, err);
    }
    const { entry } = caller;
    connections.trust(req.socket, caller.key);
    const keyId = headerValue(req.headers[KEY_ID]) ?? deps.activeKeyId;
    const bundle = entry.bundles.get(keyId);
    if (!bundle) {
      if (entry.bundles.size === 0) return fail(req, res, new ServerError('unavailable', 'the bundle has not built yet; see the rollout view'));
      return fail(req, res, new ServerError('badRequest', `this server does not sign with key "${keyId}"`));
    }
    const prefer = req.headers.prefer;
    const wait = prefer === undefined ? undefined : preferredWait(headerValue(prefer));
    const longPoll = wait !== undefined;
    const ifNoneMatch = headerValue(req.headers['if-none-match']);
    if (!matches(ifNoneMatch, bundle.etag)) return send(res, req, bundle, longPoll, '200');
    if (wait === undefined || wait <= 0) return notModified(res, bundle, longPoll, '304');
    return hold(req, res, named, keyId, bundle, ifNoneMatch, Math.min(wait, deps.longPollMaxSeconds));
  }

  /**
   * Held without a promise of its own (a held poll costs memory for as long as it waits): answered
   * by the catalog's wake-up when the agent's bundle changes, by its timer, or forgotten when the
   * caller goes away.
   */
  function hold(
    req: IncomingMessage,
    res: ServerResponse,
    named: Named,
    keyId: string,
    held: ServedBundle,
    ifNoneMatch: string | undefined,
    seconds: number,
  ): undefined {
    let done = false;
    const finish = (changed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cancel();
      res.off('close', onClose);
      // Called from the catalog's wake-up of many polls or from a timer: a failure stays this poll's.
      try {
        const now = catalog.get(named.workflow, named.agent)?.bundles.get(keyId);
        if (changed && now && !matches(ifNoneMatch, now.etag)) send(res, req, now, true, '200 long poll');
        else if (!res.destroyed) notModified(res, now ?? held, true, '304 long poll');
      } catch (err) {
        deps.log.error(`bundle request failed: ${(err as Error).message}`);
        if (!res.headersSent) res.writeHead(500).end();
      }
    };
    const cancel = catalog.wait(`${named.workflow}/${named.agent}`, () => finish(true));
    const timer = setTimeout(() => finish(false), seconds * 1000);
    const onClose = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cancel();
    };
    res.on('close', onClose);
    return undefined;
  }

  function send(res: ServerResponse, req: IncomingMessage, bundle: ServedBundle, longPoll: boolean, outcome: string): undefined {
    count(outcome);
    const a = answersOf(bundle);
    res.writeHead(200, longPoll ? a.okLongPoll : a.ok);
    res.end(req.method === 'HEAD' ? undefined : bundle.bytes);
    return undefined;
  }

  function notModified(res: ServerResponse, bundle: ServedBundle, longPoll: boolean, outcome: string): undefined {
    count(outcome);
    const a = answersOf(bundle);
    res.writeHead(304, longPoll ? a.notModifiedLongPoll : a.notModified);
    res.end();
    return undefined;
  }

  function fail(req: IncomingMessage, res: ServerResponse, err: unknown): undefined {
    // A refused caller keeps no connection (nor its place in the budget of connections).
    count(String(sendError(req, res, err, deps.log).status));
    return undefined;
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
