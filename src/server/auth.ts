/**
 * Who is calling. A sidecar presents a bearer token: a projected Kubernetes ServiceAccount token
 * (a JWT checked against its cluster's issuer keys: issuer, audience, expiry; the subject
 * `system:serviceaccount:<workflow>:<agent>` names the agent), or, for the embedded default, a
 * static token whose SHA-256 is listed in a file. Tokens are never logged or kept.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { ClusterIssuer } from '../contract/index.js';
import { ConfigError, ServerError } from './errors.js';

export type Identity =
  | { readonly kind: 'agent'; readonly workflow: string; readonly agent: string; readonly cluster?: string }
  | { readonly kind: 'admin' };

export interface Authenticator {
  /** Synchronous for static tokens, a promise for JWTs (whose keys may have to be fetched). */
  authenticate(authorization: string | undefined): Identity | Promise<Identity>;
}

const SUBJECT = /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface StaticTokens {
  /** `<workflow>/<agent>` to the SHA-256 (hex) of its token. */
  readonly agents: Readonly<Record<string, string>>;
  /** SHA-256 (hex) of tokens that may read the rollout view and trigger refreshes. */
  readonly admins: readonly string[];
}

export function readStaticTokens(file: string): StaticTokens {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read the tokens file ${file}: ${(err as Error).message}`);
  }
  const o = parsed as Partial<StaticTokens>;
  const hex = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  if (typeof o !== 'object' || o === null || typeof o.agents !== 'object' || !Object.values(o.agents ?? {}).every(hex) || !Array.isArray(o.admins) || !o.admins.every(hex)) {
    throw new ConfigError(`${file}: expected {"agents": {"<workflow>/<agent>": "<sha256 hex>"}, "admins": ["<sha256 hex>"]}`);
  }
  return { agents: o.agents!, admins: o.admins };
}

export function createAuthenticator(options: { tokens?: StaticTokens; clusters: readonly ClusterIssuer[]; audience: string; maxLifetimeSeconds: number; clock?: () => Date }): Authenticator {
  const byHash = new Map<string, Identity>();
  for (const [name, hash] of Object.entries(options.tokens?.agents ?? {})) {
    const [workflow, agent] = name.split('/');
    if (!workflow || !agent) throw new ConfigError(`tokens file: "${name}" is not <workflow>/<agent>`);
    byHash.set(hash, { kind: 'agent', workflow, agent });
  }
  for (const hash of options.tokens?.admins ?? []) byHash.set(hash, { kind: 'admin' });
  const issuers = new Map<string, { cluster: string; keys: JWTVerifyGetKey }>();
  for (const c of options.clusters) {
    const keys = c.jwksFile ? createLocalJWKSet(JSON.parse(readFileSync(c.jwksFile, 'utf8'))) : createRemoteJWKSet(new URL(c.jwksUrl!));
    issuers.set(c.issuer, { cluster: c.cluster, keys });
  }

  return {
    authenticate(authorization) {
      const match = /^Bearer ([\x21-\x7e]+)$/.exec(authorization ?? '');
      if (!match) throw new ServerError('unauthenticated', 'a bearer token is required');
      const token = match[1]!;
      if (token.split('.').length === 3 && issuers.size > 0) return verifyJwt(token);
      // Hashing first makes the lookup independent of how much of a token matches; the final
      // comparison is constant-time as well.
      const hash = sha256Hex(token);
      const identity = byHash.get(hash);
      if (!identity) throw new ServerError('unauthenticated');
      const expected = identity.kind === 'admin' ? hash : options.tokens!.agents[`${identity.workflow}/${identity.agent}`]!;
      if (!timingSafeEqual(Buffer.from(hash, 'hex'), Buffer.from(expected, 'hex'))) throw new ServerError('unauthenticated');
      return identity;
    },
  };

  async function verifyJwt(token: string): Promise<Identity> {
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new ServerError('unauthenticated', 'the token is not a JWT');
    }
    const trusted = issuer ? issuers.get(issuer) : undefined;
    if (!trusted) throw new ServerError('unauthenticated', `the token issuer ${JSON.stringify(issuer ?? null).slice(0, 200)} is not a configured cluster`);
    let payload;
    try {
      ({ payload } = await jwtVerify(token, trusted.keys, {
        issuer,
        audience: options.audience,
        requiredClaims: ['exp', 'iat', 'sub'],
        ...(options.clock ? { currentDate: options.clock() } : {}),
      }));
    } catch (err) {
      throw new ServerError('unauthenticated', `token from ${issuer} rejected: ${(err as { code?: string }).code ?? 'invalid'}`);
    }
    // A stolen token is good until it expires: as Kubernetes bounds projected tokens, so does the
    // server, both from issuance and from now (a token issued in the future lasts from now too).
    const now = Math.floor((options.clock?.() ?? new Date()).getTime() / 1000);
    const lifetime = Math.max(payload.exp! - payload.iat!, payload.exp! - now);
    if (lifetime > options.maxLifetimeSeconds) throw new ServerError('unauthenticated', `token from ${issuer} rejected: its lifetime (${lifetime} s) exceeds maxTokenLifetimeSeconds (${options.maxLifetimeSeconds})`);
    const m = SUBJECT.exec(payload.sub ?? '');
    if (!m) throw new ServerError('forbidden', `the token of ${issuer} is not a ServiceAccount token`);
    return { kind: 'agent', workflow: m[1]!, agent: m[3]!, cluster: trusted.cluster };
  }
}
