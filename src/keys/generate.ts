import { generateKeyPairSync } from 'node:crypto';
import { fingerprint } from './fingerprint.js';

/** The algorithms a new signing key is made for. */
export type KeygenAlgorithm = 'RS256' | 'ES256';

export interface SigningKeyPair {
  /** PKCS#8 PEM: the server's signing key, kept out of Git. */
  readonly privateKeyPem: string;
  /** SPKI PEM: what `keys/<id>.pem` holds. */
  readonly publicKeyPem: string;
  readonly fingerprint: string;
}

/** RSA keys have 3072 bits (the size NIST gives for use beyond 2030); EC keys are on P-256. */
export function generateSigningKey(algorithm: KeygenAlgorithm = 'RS256'): SigningKeyPair {
  const pair = algorithm === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 3072 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: fingerprint(pair.publicKey),
  };
}
