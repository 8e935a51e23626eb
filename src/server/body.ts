/**
 * Request bodies, read only once the caller is known (or, for the webhook, once the headers show
 * the request could be genuine): the size bound applies to the bytes on the wire and to what they
 * inflate to, a declared length above it is refused before a byte is read, and every malformed
 * body (encoding, character set, gzip, JSON) is the caller's error (4xx), never the server's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { ServerError } from './errors.js';

export interface BodyRules {
  /** Bytes, on the wire and after inflating. */
  readonly limit: number;
  /** Whether `Content-Encoding: gzip` is accepted (OPA compresses decision logs). */
  readonly gzip: boolean;
  /** Bytes held for bodies being read (the caller's share of the server's memory for them). */
  readonly budget?: { take(bytes: number): boolean; give(bytes: number): void };
  /** Ends the read with its reason (a ServerError) when aborted: a deadline, or a newer caller's turn. */
  readonly signal?: AbortSignal;
  /** Where a client that waits for leave to send its body (`Expect: 100-continue`) is given it. */
  readonly response?: ServerResponse;
}

/**
 * Bytes of request bodies held at once, per caller and in all: a caller that starts many uploads
 * and never finishes them would otherwise hold up to `limit` bytes each until the request times
 * out. A chunk beyond either bound fails its request (503: OPA sends the upload again later).
 */
export class BodyBudget {
  private total = 0;
  private readonly byKey = new Map<string, number>();

  constructor(
    private readonly perKey: number,
    private readonly all: number,
  ) {}

  for(key: string): NonNullable<BodyRules['budget']> {
    return {
      take: (bytes) => {
        const mine = this.byKey.get(key) ?? 0;
        if (mine + bytes > this.perKey || this.total + bytes > this.all) return false;
        this.byKey.set(key, mine + bytes);
        this.total += bytes;
        return true;
      },
      give: (bytes) => {
        const mine = (this.byKey.get(key) ?? 0) - bytes;
        if (mine > 0) this.byKey.set(key, mine);
        else this.byKey.delete(key);
        this.total -= bytes;
      },
    };
  }
}

/** What the headers alone decide: encoding, character set, declared length. */
export function checkBodyHeaders(req: IncomingMessage, rules: BodyRules): void {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && !(rules.gzip && encoding === 'gzip')) {
    throw new ServerError('unsupportedMediaType', `content encoding "${encoding}" is not accepted${rules.gzip ? ' (gzip is)' : ''}`);
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    throw new ServerError('unsupportedMediaType', `character set "${charset}" is not accepted (UTF-8 is)`);
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > rules.limit)
    throw new ServerError('tooLarge', `the body declares ${declared} bytes, above the bound of ${rules.limit}`);
}

/** The body's bytes, inflated if gzip; stops reading at the bound, or when the budget is spent. */
export async function readBody(req: IncomingMessage, rules: BodyRules): Promise<Buffer> {
  checkBodyHeaders(req, rules);
  // Only now, after the route's checks of the caller and of these headers: the server does not
  // answer the expectation itself (server.ts), so a refused caller is never asked for its body.
  if (/^\s*100-continue\s*$/i.test(req.headers.expect ?? '')) rules.response?.writeContinue();
  let held = 0;
  try {
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (err?: ServerError) => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('close', onClose);
        rules.signal?.removeEventListener('abort', onAbort);
        if (err) {
          // Nothing more is read: the refusal closes the connection.
          req.pause();
          reject(err);
        } else resolve(Buffer.concat(chunks, size));
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > rules.limit) return done(new ServerError('tooLarge', `the body exceeds the bound of ${rules.limit} bytes`));
        if (rules.budget) {
          if (!rules.budget.take(chunk.length))
            return done(new ServerError('unavailable', 'too many bytes of uploads are in flight for this caller or the server; retry later'));
          held += chunk.length;
        }
        chunks.push(chunk);
      };
      const onEnd = () => done();
      const onClose = () => done(new ServerError('badRequest', 'the body was cut short'));
      const onAbort = () => {
        const reason: unknown = rules.signal?.reason;
        done(reason instanceof ServerError ? reason : new ServerError('unavailable', 'the body was not read to its end; retry later'));
      };
      if (rules.signal?.aborted) return onAbort();
      rules.signal?.addEventListener('abort', onAbort);
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('close', onClose);
    });
    if ((req.headers['content-encoding'] ?? '').trim().toLowerCase() !== 'gzip') return raw;
    return await new Promise((resolve, reject) => {
      gunzip(raw, { maxOutputLength: rules.limit }, (err, inflated) => {
        if (!err) return resolve(inflated);
        if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
          reject(new ServerError('tooLarge', `the body inflates beyond the bound of ${rules.limit} bytes`));
        else reject(new ServerError('badRequest', `the body is not valid gzip: ${err.message}`));
      });
    });
  } finally {
    // The caller parses what it gets at once and keeps only what it needs of it.
    rules.budget?.give(held);
  }
}

export function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ServerError('badRequest', 'the body is not valid JSON');
  }
}

/**
 * Refuses JSON nesting deeper than `max` before it is parsed: a scan of the bytes, strings
 * skipped. What the server keeps of a body is flat, but a deep one still costs time to parse and
 * cannot be serialized again (V8's JSON.stringify overflows its stack at a few thousand levels).
 */
export function checkDepth(bytes: Buffer, max: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) throw new ServerError('badRequest', `the body nests deeper than ${max} levels`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}
