/**
 * Who is calling. A sidecar presents a bearer token: a projected Kubernetes ServiceAccount token
 * (a JWT checked against its cluster's issuer keys: issuer, audience, expiry; the subject
 * `system:serviceaccount:<workflow>:<agent>` names the agent), or, for the embedded default, a
 * static token whose SHA-256 is listed in a file. Tokens are never logged or kept.
 *
 * A ServiceAccount token is verified once (its RSA or ECDSA signature costs far more than serving
 * a bundle from memory) and its identity kept by the SHA-256 of the whole token until the token
 * expires, or, for a cluster whose keys are fetched, until those keys are fetched again (a key
 * removed from the issuer's set refuses its tokens as soon as it would without the cache). What is
 * kept is who the token names, never a permission: every request is still authorized against the
 * catalog as it is then (authorize.ts), so an agent removed from Git or a token naming another
 * agent or cluster is refused whether its token was seen before or not.
 *
 * A JWT refused before any signature was checked (not a JWT, an issuer or key id that is not
 * configured, a header jose refuses) pays one signature check all the same, on a decoy that never
 * verifies: otherwise how fast the refusal came (about 350, 400 and 700 µs apart) would tell a
 * caller which issuers and key ids the server trusts. It costs an outsider nothing new: a token
 * naming a configured issuer and key id, which are public, already makes the server check a
 * signature.
 */
import crypto, { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  jwksCache,
  jwtVerify,
  SignJWT,
  type JWKSCacheInput,
  type JWTVerifyGetKey,
  type RemoteJWKSetOptions,
} from 'jose';
import type { ClusterIssuer } from '../contract/index.js';
import { ConfigError, ServerError } from './errors.js';
import { JwksFetchError, jwksFetch } from './jwks-fetch.js';

export type Identity = { readonly kind: 'agent'; readonly workflow: string; readonly agent: string; readonly cluster?: string } | { readonly kind: 'admin' };

export interface Authenticator {
  /**
   * Synchronous for static tokens, a promise for JWTs (whose keys may have to be fetched).
   * `connection` (the request's socket) lets a keep-alive connection that presents the token it
   * presented before skip hashing it again.
   */
  authenticate(authorization: string | undefined, connection?: object): Identity | Promise<Identity>;
}

const SUBJECT = /^system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/;

// One call without a Hash object, where the runtime has it (Node 20.12 and later).
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export function sha256Hex(text: string): string {
  return oneShot ? oneShot('sha256', text, 'hex') : createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Verified ServiceAccount tokens kept at most: a sidecar holds one or two at a time (the kubelet renews them before they expire). */
export const VERIFIED_TOKENS_KEPT = 20_000;

const BEARER = 'Bearer ';
const TOKEN_CHARACTERS = /^[\x21-\x7e]+$/;

/** Whether a token has the three dot-separated parts of a JWS (without splitting it). */
function looksLikeJwt(token: string): boolean {
  const first = token.indexOf('.');
  if (first < 0) return false;
  const second = token.indexOf('.', first + 1);
  return second > 0 && token.indexOf('.', second + 1) < 0;
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
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.agents !== 'object' ||
    !Object.values(o.agents ?? {}).every(hex) ||
    !Array.isArray(o.admins) ||
    !o.admins.every(hex)
  ) {
    throw new ConfigError(`${file}: expected {"agents": {"<workflow>/<agent>": "<sha256 hex>"}, "admins": ["<sha256 hex>"]}`);
  }
  return { agents: o.agents!, admins: o.admins };
}

/** jose's codes for refusals that come after the signature was checked (and found valid or not). */
const SIGNATURE_CHECKED = new Set(['ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'ERR_JWT_CLAIM_VALIDATION_FAILED', 'ERR_JWT_EXPIRED', 'ERR_JWT_INVALID']);

/**
 * One signature check that fails: an RS256 token (what Kubernetes issues by default) checked by
 * jose against a key set holding another key under its kid, the path a forged token takes. The
 * keys are made once, in the background, when the first refusal needs them.
 */
export function decoySignatureCheck(): () => Promise<unknown> {
  let decoy: Promise<{ token: string; keys: JWTVerifyGetKey }> | undefined;
  const make = async () => {
    const [signer, other] = await Promise.all([generateKeyPair('RS256'), generateKeyPair('RS256')]);
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'decoy' }).setIssuer('decoy').setSubject('decoy').sign(signer.privateKey);
    return { token, keys: createLocalJWKSet({ keys: [{ ...(await exportJWK(other.publicKey)), kid: 'decoy', alg: 'RS256' }] }) };
  };
  return async () => {
    const { token, keys } = await (decoy ??= make());
    return jwtVerify(token, keys).catch((err: unknown) => err);
  };
}

export function createAuthenticator(options: {
  tokens?: StaticTokens;
  clusters: readonly ClusterIssuer[];
  audience: string;
  maxLifetimeSeconds: number;
  clock?: () => Date;
  /** For keys fetched from a cluster (jose's cache of them); the defaults are jose's. */
  remoteKeys?: Pick<RemoteJWKSetOptions, 'cacheMaxAge' | 'cooldownDuration'>;
  verifiedTokensKept?: number;
  /** The signature check an early refusal pays (see above); default {@link decoySignatureCheck}. */
  decoy?: () => Promise<unknown>;
}): Authenticator {
  const decoy = options.decoy ?? decoySignatureCheck();
  const byHash = new Map<string, Identity>();
  for (const [name, hash] of Object.entries(options.tokens?.agents ?? {})) {
    const [workflow, agent] = name.split('/');
    if (!workflow || !agent) throw new ConfigError(`tokens file: "${name}" is not <workflow>/<agent>`);
    byHash.set(hash, { kind: 'agent', workflow, agent });
  }
  for (const hash of options.tokens?.admins ?? []) byHash.set(hash, { kind: 'admin' });
  /** A key set fetched from a cluster; jose replaces `fetched.jwks` (a new object) on every fetch. */
  interface Remote {
    readonly set: ReturnType<typeof createRemoteJWKSet>;
    readonly fetched: JWKSCacheInput & { jwks?: unknown };
  }
  const issuers = new Map<string, { cluster: string; keys: JWTVerifyGetKey; remote?: Remote }>();
  for (const c of options.clusters) {
    if (c.jwksFile) issuers.set(c.issuer, { cluster: c.cluster, keys: createLocalJWKSet(JSON.parse(readFileSync(c.jwksFile, 'utf8'))) });
    else {
      const fetched: Remote['fetched'] = {};
      const set = createRemoteJWKSet(new URL(c.jwksUrl!), { ...options.remoteKeys, [jwksCache]: fetched, [customFetch]: jwksFetch(c) });
      issuers.set(c.issuer, { cluster: c.cluster, keys: set, remote: { set, fetched } });
    }
  }
  const now = () => (options.clock ? options.clock().getTime() : Date.now());
  /**
   * By SHA-256 (hex) of the whole token: looking a token up costs the same whatever part of it an
   * attacker guessed. Only tokens that passed every check are kept; insertion order is age.
   */
  const verified = new Map<string, { identity: Identity; expiresAtMs: number; remote?: Remote; keySet?: unknown }>();
  const kept = options.verifiedTokensKept ?? VERIFIED_TOKENS_KEPT;
  /**
   * Per connection, the Authorization header of its last authenticated request and that token's
   * hash: a sidecar sends the same header on every request of a keep-alive connection, and the
   * regular-expression check and SHA-256 of a ServiceAccount token (about 1 KB) cost more than the
   * rest of a 304. Only the hashing is skipped: the identity is still looked up by hash, and a
   * JWT's expiry and key set are checked as on any request. Comparing the header as a string
   * tells the caller nothing it does not know: it is compared with what the same connection sent.
   */
  const lastOn = new WeakMap<object, { readonly authorization: string; readonly hash: string; readonly jwt: boolean }>();

  return {
    authenticate(authorization, connection) {
      if (authorization === undefined || !authorization.startsWith(BEARER)) throw new ServerError('unauthenticated', 'a bearer token is required');
      const last = connection === undefined ? undefined : lastOn.get(connection);
      if (last !== undefined && last.authorization === authorization) {
        const identity = last.jwt ? verifiedIdentity(last.hash) : byHash.get(last.hash);
        if (identity) return identity;
      }
      const token = authorization.slice(BEARER.length);
      if (!TOKEN_CHARACTERS.test(token)) throw new ServerError('unauthenticated', 'a bearer token is required');
      // Hashing first makes the lookup independent of how much of a token matches (a map is
      // keyed by the digest, which the caller cannot choose byte by byte).
      const hash = sha256Hex(token);
      if (issuers.size > 0 && looksLikeJwt(token)) {
        const remember = (identity: Identity) => {
          if (connection !== undefined) lastOn.set(connection, { authorization, hash, jwt: true });
          return identity;
        };
        const seen = verifiedIdentity(hash);
        return seen ? remember(seen) : verifyJwt(token, hash).then(remember);
      }
      const identity = byHash.get(hash);
      if (!identity) throw new ServerError('unauthenticated');
      if (connection !== undefined && last?.authorization !== authorization) lastOn.set(connection, { authorization, hash, jwt: false });
      return identity;
    },
  };

  /** The identity of a token verified before, while that verification still holds. */
  function verifiedIdentity(hash: string): Identity | undefined {
    const seen = verified.get(hash);
    if (!seen) return undefined;
    // Expired: verified again, which refuses it. Keys fetched again (jose's cache of them aged or
    // a token named a key it had not): verified again against the new set.
    if (now() >= seen.expiresAtMs || (seen.remote && (!seen.remote.set.fresh || seen.remote.fetched.jwks !== seen.keySet))) {
      verified.delete(hash);
      return undefined;
    }
    return seen.identity;
  }

  /** Refuses after one signature check, as a token with a forged signature is refused. */
  async function refuseEarly(reason: string): Promise<never> {
    await decoy();
    throw new ServerError('unauthenticated', reason);
  }

  async function verifyJwt(token: string, hash: string): Promise<Identity> {
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      return refuseEarly('the token is not a JWT');
    }
    const trusted = issuer ? issuers.get(issuer) : undefined;
    if (!trusted) return refuseEarly(`the token issuer ${JSON.stringify(issuer ?? null).slice(0, 200)} is not a configured cluster`);
    let payload;
    try {
      ({ payload } = await jwtVerify(token, trusted.keys, {
        issuer,
        audience: options.audience,
        requiredClaims: ['exp', 'iat', 'sub'],
        ...(options.clock ? { currentDate: options.clock() } : {}),
      }));
    } catch (err) {
      // The server could not get the keys: its own failure (logged with the reason), not the caller's.
      if (err instanceof JwksFetchError) throw err;
      const code = (err as { code?: string }).code ?? 'invalid';
      const reason = `token from ${issuer} rejected: ${code}`;
      if (!SIGNATURE_CHECKED.has(code)) return refuseEarly(reason);
      throw new ServerError('unauthenticated', reason);
    }
    // A stolen token is good until it expires: as Kubernetes bounds projected tokens, so does the
    // server, both from issuance and from now (a token issued in the future lasts from now too).
    const nowSeconds = Math.floor(now() / 1000);
    const lifetime = Math.max(payload.exp! - payload.iat!, payload.exp! - nowSeconds);
    if (lifetime > options.maxLifetimeSeconds)
      throw new ServerError(
        'unauthenticated',
        `token from ${issuer} rejected: its lifetime (${lifetime} s) exceeds maxTokenLifetimeSeconds (${options.maxLifetimeSeconds})`,
      );
    const m = SUBJECT.exec(payload.sub ?? '');
    if (!m) throw new ServerError('forbidden', `the token of ${issuer} is not a ServiceAccount token`);
    const identity: Identity = { kind: 'agent', workflow: m[1]!, agent: m[3]!, cluster: trusted.cluster };
    if (verified.size >= kept) verified.delete(verified.keys().next().value as string);
    verified.set(hash, {
      identity,
      expiresAtMs: payload.exp! * 1000,
      ...(trusted.remote ? { remote: trusted.remote, keySet: trusted.remote.fetched.jwks } : {}),
    });
    return identity;
  }
}
