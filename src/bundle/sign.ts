import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import { isKeyId, KEY_ID_RULE } from '../contract/index.js';
import { ecAlgorithm } from '../keys/index.js';
import { BundleError } from './errors.js';
import type { HashAlgorithm } from './hash.js';
import { sortUtf8 } from '../core/order.js';

/**
 * Asymmetric algorithms from OPA's key configuration (docs/configuration.md, Keys). HS* is left
 * out on purpose: its key is a shared secret that every sidecar would have to hold.
 */
export type SigningAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

/** One entry of the JWT's `files` claim (OPA's FileInfo). */
export interface FileDigest {
  /** Bundle path without the leading `/`, the name OPA looks up. */
  readonly name: string;
  /** Lowercase hex. */
  readonly hash: string;
  readonly algorithm: HashAlgorithm;
}

export interface Signer {
  /** The id OPA finds the verification key under (`keys.<id>`, `bundles.<n>.signing.keyid`). */
  readonly keyId: string;
  readonly algorithm: SigningAlgorithm;
  /** SPKI `-----BEGIN PUBLIC KEY-----` PEM: the one form every OPA version parses. */
  readonly publicKeyPem: string;
  /** Compact JWS over `payload` with header `{"alg","kid"}`. */
  sign(payload: Uint8Array): Promise<string>;
}

export interface SignerOptions {
  readonly keyId: string;
  /** PEM private key: PKCS#8 `PRIVATE KEY`, or traditional `RSA PRIVATE KEY` / `EC PRIVATE KEY`. */
  readonly privateKeyPem: string | Uint8Array;
  /** Default: RS256 for RSA keys (OPA's default), the curve's ES* for EC keys. */
  readonly algorithm?: SigningAlgorithm;
}

export interface SignatureClaims {
  /** Issue time in whole seconds. OPA decodes it into an int64; pass the commit time, not "now". */
  readonly iat: number;
  /**
   * Omit unless OPA is configured with exactly this scope: OPA compares for equality, so a scope
   * in the JWT with none configured fails with "scope mismatch".
   */
  readonly scope?: string;
}

/**
 * RS* signatures (PKCS#1 v1.5) are deterministic, so a fixed `iat` gives byte-identical bundles.
 * PS* and ES* signatures are randomised: every build of the same revision differs in its
 * `.signatures.json`, and so in its ETag. A server using them must build once per revision and
 * cache the bytes; ETag stability then comes from that cache, not from the bytes. Replicas do
 * not share such a cache, so several server replicas should sign with RS*.
 */
export function createSigner(options: SignerOptions): Signer {
  const { keyId } = options;
  if (!isKeyId(keyId)) throw new BundleError('bad-key', `key id ${JSON.stringify(keyId)} must be ${KEY_ID_RULE}`);
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: typeof options.privateKeyPem === 'string' ? options.privateKeyPem : Buffer.from(options.privateKeyPem),
      format: 'pem',
    });
  } catch (err) {
    throw new BundleError('bad-key', `cannot read the private key (unencrypted PEM expected): ${(err as Error).message}`);
  }
  const algorithm = checkAlgorithm(key, options.algorithm);
  const publicKeyPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  return {
    keyId,
    algorithm,
    publicKeyPem,
    // `kid` lets OPA pick the key when its config has no signing.keyid (v1/bundle/verify.go).
    sign: (payload) => new CompactSign(payload).setProtectedHeader({ alg: algorithm, kid: keyId }).sign(key),
  };
}

function checkAlgorithm(key: KeyObject, wanted: SigningAlgorithm | undefined): SigningAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const alg = wanted ?? 'RS256';
    if (!/^(RS|PS)(256|384|512)$/.test(alg)) throw new BundleError('bad-key', `an RSA key cannot sign ${alg}`);
    // RFC 7518 3.3 and jose both require 2048 bits; failing here gives a clearer message.
    if ((details.modulusLength ?? 0) < 2048) throw new BundleError('bad-key', 'RSA keys must have at least 2048 bits');
    return alg;
  }
  if (key.asymmetricKeyType === 'ec') {
    const alg = ecAlgorithm(details.namedCurve);
    if (alg === undefined) throw new BundleError('bad-key', `unsupported EC curve ${details.namedCurve ?? '?'} (P-256, P-384 or P-521)`);
    if (wanted !== undefined && wanted !== alg) {
      throw new BundleError('bad-key', `a ${details.namedCurve ?? ''} key signs ${alg}, not ${wanted}`);
    }
    return alg;
  }
  throw new BundleError('bad-key', `unsupported key type ${key.asymmetricKeyType ?? '?'} (RSA or EC expected)`);
}

/**
 * The `.signatures.json` OPA verifies (v1/bundle/verify.go): exactly one compact JWS whose payload
 * lists every other file. `keyid` repeats the header `kid` because early 0.x verifiers only read
 * the claim. Claims are written in a fixed order so the payload bytes depend only on the inputs.
 */
export async function signaturesFile(files: readonly FileDigest[], signer: Signer, claims: SignatureClaims): Promise<Buffer> {
  if (!Number.isSafeInteger(claims.iat) || claims.iat < 0) {
    throw new BundleError('bad-iat', `iat must be a non-negative integer number of seconds, got ${claims.iat}`);
  }
  const byName = new Map(files.map((f) => [f.name, f]));
  const payload = {
    files: sortUtf8(byName.keys()).map((name) => {
      const f = byName.get(name) as FileDigest;
      return { name: f.name, hash: f.hash, algorithm: f.algorithm };
    }),
    keyid: signer.keyId,
    ...(claims.scope === undefined ? {} : { scope: claims.scope }),
    iat: claims.iat,
    iss: 'custody',
  };
  const jws = await signer.sign(Buffer.from(JSON.stringify(payload), 'utf8'));
  return Buffer.from(JSON.stringify({ signatures: [jws] }), 'utf8');
}
