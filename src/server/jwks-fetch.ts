/**
 * Fetching a cluster's token keys (JWKS) for the authenticator, in place of jose's own fetch:
 * with the bearer token of `jwksTokenFile` (read again at each fetch: the kubelet renews a
 * projected token in place) and the CA of `jwksCaFile` where configured, a bounded body, no
 * redirect followed, and a failure that says why, for the server's log. Only public keys come
 * back; the token is never logged.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FetchImplementation } from 'jose';
import type { ClusterIssuer } from '../contract/index.js';

/** A key set is a few kilobytes; a larger answer is not one. */
const MAX_JWKS_BYTES = 1024 * 1024;

/** The keys of a cluster could not be fetched: an operational failure of the server, not the caller's. */
export class JwksFetchError extends Error {
  override name = 'JwksFetchError';
}

function why(c: ClusterIssuer, status: number): string {
  if (status !== 401 && status !== 403) return `HTTP ${status}`;
  return c.jwksTokenFile
    ? `HTTP ${status}: the token of jwksTokenFile was refused; bind the server's ServiceAccount to the ClusterRole system:service-account-issuer-discovery and check the token's audience is the API server's`
    : `HTTP ${status}: this URL answers only an authenticated caller; set jwksTokenFile (a projected token of the server's ServiceAccount, bound to system:service-account-issuer-discovery) and jwksCaFile`;
}

export function jwksFetch(c: ClusterIssuer): FetchImplementation {
  return (url, options) =>
    new Promise<Response>((resolve, reject) => {
      const fail = (detail: string) => reject(new JwksFetchError(`cluster ${c.cluster}: cannot fetch its token keys from ${url}: ${detail}`));
      let headers: Record<string, string>;
      let ca: Buffer | undefined;
      try {
        // The API server answers /openid/v1/jwks only to a caller accepting application/jwk-set+json.
        headers = { accept: 'application/jwk-set+json, application/json' };
        if (c.jwksTokenFile) headers.authorization = `Bearer ${readFileSync(c.jwksTokenFile, 'utf8').trim()}`;
        ca = c.jwksCaFile ? readFileSync(c.jwksCaFile) : undefined;
      } catch (err) {
        return fail(`cannot read ${(err as NodeJS.ErrnoException).path ?? 'a configured file'} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      const request = url.startsWith('https:') ? httpsRequest : httpRequest;
      const req = request(url, { method: 'GET', headers, signal: options.signal, ...(ca ? { ca } : {}) }, (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          return fail(why(c, status));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (b: Buffer) => {
          size += b.length;
          if (size > MAX_JWKS_BYTES) {
            req.destroy();
            return fail(`the answer exceeds ${MAX_JWKS_BYTES} bytes`);
          }
          chunks.push(b);
        });
        res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: 200, headers: { 'content-type': 'application/json' } })));
        res.on('error', (err) => fail(err.message));
      });
      req.on('error', (err) => {
        // jose tells a timeout by its name.
        if (options.signal.aborted) return reject(options.signal.reason);
        fail(
          /certificate|self.signed|unable to verify/i.test(err.message)
            ? `${err.message} (for a cluster's own API server set jwksCaFile to its CA, the ca.crt of the kube-root-ca.crt ConfigMap)`
            : err.message,
        );
      });
      req.end();
    });
}
