/**
 * The GitHub push webhook. Anyone who can reach the server can call it, so it spends nothing on a
 * caller before the signature proves the caller holds the secret: what the headers alone decide
 * (a compressed body (GitHub never compresses webhooks), a malformed
 * signature, a missing delivery id, a declared length above the bound, then no secret configured)
 * is refused before a byte of the body is read; the HMAC-SHA256 is compared in constant time over the raw body, read with
 * its size bound and only a few at a time; the body is parsed only after. Accepted deliveries are
 * remembered by id and by signature for GitHub's redelivery window: the signature covers the
 * body, not the delivery id, so a captured delivery under a new id is a replay too.
 *
 * Anyone can send a well-formed signature header, so the few bodies read at once must not be
 * held by callers who send them slowly: a body must arrive within GitHub's own answer deadline,
 * and when every slot is taken the oldest read gives way to the newest. GitHub sends a delivery's
 * body at once, so to keep it out an attacker must open new deliveries faster than it arrives.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkBodyHeaders, parseJson, readBody } from './body.js';
import { ServerError } from './errors.js';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;
const DELIVERY = /^[0-9A-Za-z-]{1,64}$/;
const REMEMBER_MS = 72 * 3600 * 1000;
const REMEMBER_MAX = 10_000;
/** Bodies read at once: what unauthenticated callers can make the server hold is this times the bound. */
const CONCURRENT_BODIES = 4;
/** GitHub counts a delivery failed when the answer takes over 10 s: a slower body is not GitHub's. */
const READ_MS = 10_000;

export interface WebhookOptions {
  readonly secret: string | undefined;
  readonly maxBodyBytes: number;
  /** The served branch, once known: pushes to other branches need no refresh. */
  readonly branch: () => string | undefined;
  readonly onPush: () => void;
  readonly now?: () => number;
  /** How long a body may take to arrive (tests shorten it). */
  readonly readMs?: number;
}

export interface WebhookResult {
  readonly event: string;
  readonly refreshed: boolean;
}

export function createWebhook(options: WebhookOptions): (req: IncomingMessage, res?: ServerResponse) => Promise<WebhookResult> {
  const now = options.now ?? Date.now;
  const seen = new Map<string, number>();
  const readMs = options.readMs ?? READ_MS;
  /** The bodies being read, oldest first. */
  const reading: AbortController[] = [];

  const remembered = (key: string) => (seen.get(key) ?? 0) > now();
  const remember = (key: string) => {
    const t = now();
    // Insertion order is expiry order: the oldest entries are at the front.
    for (const [k, expires] of seen) {
      if (expires > t && seen.size < REMEMBER_MAX) break;
      seen.delete(k);
    }
    seen.set(key, t + REMEMBER_MS);
  };

  return async function receive(req, res) {
    const signature = SIGNATURE.exec(header(req, 'x-hub-signature-256') ?? '')?.[1];
    if (!signature) throw new ServerError('unauthenticated', 'no well-formed X-Hub-Signature-256 header');
    const delivery = header(req, 'x-github-delivery');
    if (!delivery || !DELIVERY.test(delivery)) throw new ServerError('badRequest', 'no well-formed X-GitHub-Delivery header');
    const rules = { limit: options.maxBodyBytes, gzip: false };
    checkBodyHeaders(req, rules);
    // Judged by the same headers first, then refused as a wrong signature is (401), with no byte
    // of the body read: a caller cannot tell from the answers whether a secret is set.
    const secret = options.secret;
    if (!secret) throw new ServerError('unauthenticated', 'no webhook secret is configured: every delivery is refused');
    if (reading.length >= CONCURRENT_BODIES)
      reading
        .shift()!
        .abort(new ServerError('unavailable', "a newer webhook delivery took this one's place before its body arrived; polling picks the change up"));
    const turn = new AbortController();
    reading.push(turn);
    const deadline = setTimeout(() => turn.abort(new ServerError('timeout', `the body did not arrive within ${readMs / 1000} s`)), readMs);
    let body: Buffer;
    try {
      body = await readBody(req, { ...rules, signal: turn.signal, ...(res ? { response: res } : {}) });
    } finally {
      clearTimeout(deadline);
      const at = reading.indexOf(turn);
      if (at >= 0) reading.splice(at, 1);
    }
    const expected = createHmac('sha256', secret).update(body).digest();
    if (!timingSafeEqual(Buffer.from(signature, 'hex'), expected)) throw new ServerError('unauthenticated', 'the signature does not match the body');
    if (remembered(`delivery ${delivery}`) || remembered(`signature ${signature}`))
      throw new ServerError('conflict', `delivery ${delivery} (or its body) was already received`);
    remember(`delivery ${delivery}`);
    remember(`signature ${signature}`);

    const event = header(req, 'x-github-event') ?? '';
    const payload = parsePayload(req, body) as { ref?: unknown };
    if (event !== 'push') return { event, refreshed: false };
    const branch = options.branch();
    if (typeof payload.ref === 'string' && branch !== undefined && payload.ref !== `refs/heads/${branch}`) return { event, refreshed: false };
    options.onPush();
    return { event, refreshed: true };
  };
}

/** GitHub sends JSON, or the same JSON as the `payload` field of a form if so configured. */
function parsePayload(req: IncomingMessage, body: Buffer): Record<string, unknown> {
  const form = /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
  const json = form ? Buffer.from(new URLSearchParams(body.toString('utf8')).get('payload') ?? '', 'utf8') : body;
  const parsed = parseJson(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ServerError('badRequest', 'the webhook payload is not a JSON object');
  return parsed as Record<string, unknown>;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
