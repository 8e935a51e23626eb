/**
 * The ServiceAccount token keys an organisation publishes for its cluster (`keys/jwks/<cluster>.json`,
 * the JSON Web Key Set its API server serves at /openid/v1/jwks): the bundle server verifies that
 * cluster's sidecars with them, without reaching the cluster. Public material only, reviewed where
 * it changes; refused when a file could leak a secret or would not verify anything.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { KEY_JWKS_DIR } from '../contract/index.js';
import { stableJson } from '../core/json.js';
import { isDnsLabel } from '../core/names.js';
import { KeysError } from './errors.js';

export interface ClusterJwks {
  readonly cluster: string;
  /** The key set as stable JSON (what the bundle server is given). */
  readonly json: string;
  /** The keys' `kid`s, in file order (a key without one is listed as ""). */
  readonly keyIds: readonly string[];
}

/** `keys/jwks/`: the name is the contract's, shared with every reader of `keys/`. */
export const JWKS_DIR = KEY_JWKS_DIR;

/** JWK members that only a private or symmetric key has (RFC 7518 section 6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** `files`: by name relative to `keys/jwks/` (`<cluster>.json`); other names are refused. */
export function parseJwksFiles(files: ReadonlyMap<string, string>, where = `keys/${JWKS_DIR}`): Map<string, ClusterJwks> {
  const out = new Map<string, ClusterJwks>();
  for (const [name, text] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const cluster = name.replace(/\.json$/, '');
    const bad = (why: string): never => {
      throw new KeysError(`${where}/${name}: ${why}`);
    };
    if (!name.endsWith('.json') || !isDnsLabel(cluster)) {
      bad("a key set's file is named after its cluster, <cluster>.json (a DNS-1123 label); rename it");
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return bad(`is not JSON (${(err as Error).message}): commit the JSON the cluster serves at /openid/v1/jwks`);
    }
    const keys = (parsed as { keys?: unknown })?.keys;
    if (typeof parsed !== 'object' || parsed === null || !Array.isArray(keys) || keys.length === 0)
      bad('must be a JSON Web Key Set, {"keys": [...]}, with at least one key');
    const ids: string[] = [];
    (keys as unknown[]).forEach((key, i) => {
      if (typeof key !== 'object' || key === null || typeof (key as { kty?: unknown }).kty !== 'string') bad(`keys[${i}] is not a JSON Web Key (no "kty")`);
      const found = PRIVATE_MEMBERS.filter((m) => m in (key as object));
      // A private signing key of the cluster's issuer would let anyone with read access mint tokens for every ServiceAccount there.
      if (found.length)
        bad(
          `keys[${i}] holds private key material (${found.map((m) => `"${m}"`).join(', ')}); remove it from the repository at once, rotate the cluster's service-account signing key, and commit only the public key set`,
        );
      try {
        createPublicKey({ key: key as import('node:crypto').JsonWebKey, format: 'jwk' });
      } catch (err) {
        bad(`keys[${i}] is not a public key Node can read: ${(err as Error).message}`);
      }
      const kid = (key as { kid?: unknown }).kid;
      ids.push(typeof kid === 'string' ? kid : '');
    });
    out.set(cluster, { cluster, json: stableJson(parsed), keyIds: ids });
  }
  return out;
}

/**
 * The members RFC 7638 (section 3.2) hashes for each key type, in lexicographic order: the
 * thumbprint names the key itself, whatever `kid`, `alg` or `use` the file gives it.
 */
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
  oct: ['k', 'kty'],
};

/**
 * The RFC 7638 JWK thumbprint: SHA-256 of the required members as compact JSON in lexicographic
 * order, base64url without padding. Undefined for a key type or member RFC 7638 does not define
 * (a reviewer is then told the key is unreadable, not given a made-up value).
 */
export function jwkThumbprint(key: unknown): string | undefined {
  if (typeof key !== 'object' || key === null) return undefined;
  const members = THUMBPRINT_MEMBERS[(key as { kty?: unknown }).kty as string];
  if (!members) return undefined;
  const values = members.map((m) => (key as Record<string, unknown>)[m]);
  if (values.some((v) => typeof v !== 'string')) return undefined;
  // JSON.stringify of strings is the RFC's form: no whitespace, members in the order given.
  const json = `{${members.map((m, i) => `${JSON.stringify(m)}:${JSON.stringify(values[i])}`).join(',')}}`;
  return createHash('sha256').update(json).digest('base64url');
}
