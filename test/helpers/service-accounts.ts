/** Kubernetes clusters as the bundle server sees them: one token issuer (key pair, JWKS file) per cluster, and projected ServiceAccount tokens signed by it. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export interface TokenClaims {
  readonly cluster: string;
  /** `<namespace>:<serviceaccount>`, e.g. `movie-post-production:color`. */
  readonly account: string;
  readonly audience?: string;
  /** Seconds since the epoch; default now. */
  readonly iat?: number;
  /** Seconds since the epoch; default iat + 1 h. */
  readonly exp?: number;
  readonly kid?: string;
}

export interface Issuers {
  /** For the server's `clusters` setting. */
  readonly clusters: { cluster: string; issuer: string; jwksFile: string }[];
  token(claims: TokenClaims): Promise<string>;
}

export async function clusterIssuers(dir: string, names: readonly string[]): Promise<Issuers> {
  const keys = new Map<string, Awaited<ReturnType<typeof generateKeyPair>>>();
  const clusters = [];
  for (const name of names) {
    const pair = await generateKeyPair('RS256');
    keys.set(name, pair);
    const jwksFile = path.join(dir, `${name}.jwks.json`);
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: `${name}-k1`, alg: 'RS256', use: 'sig' }] }));
    clusters.push({ cluster: name, issuer: `https://${name}.clusters.example`, jwksFile });
  }
  return {
    clusters,
    async token(c) {
      const iat = c.iat ?? Math.floor(Date.now() / 1000);
      return new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: c.kid ?? `${c.cluster}-k1` })
        .setSubject(`system:serviceaccount:${c.account}`)
        .setAudience(c.audience ?? 'custody-bundle-server')
        .setIssuer(`https://${c.cluster}.clusters.example`)
        .setIssuedAt(iat)
        .setExpirationTime(c.exp ?? iat + 3600)
        .sign(keys.get(c.cluster)!.privateKey);
    },
  };
}
