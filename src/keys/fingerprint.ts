import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/**
 * `SHA256:` and the unpadded base64 SHA-256 of the key's DER SubjectPublicKeyInfo, what
 * `openssl pkey -pubin -in KEY.pem -outform DER | openssl dgst -sha256 -binary | base64` prints:
 * how `keygen` and the pull-request summary name a key, so a reviewer can compare the two. Not
 * ssh-keygen's: that one hashes the SSH encoding of the key. A private key is fingerprinted by
 * its public half.
 */
export function fingerprint(key: KeyObject): string {
  const der = (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
  return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
}

/**
 * keys/custody-example.pem, the key the committed examples render with. Its private half was
 * discarded when it was made (keys/README.md), so no bundle server can sign for it: known by its
 * fingerprint, whatever file name it is committed under.
 */
export const EXAMPLE_KEY_FINGERPRINT = 'SHA256:0MHIQcnLWOo3NgsZq2TcFhMCaRQDNk2tcn8mmuvviZU';

/** Whether a public key (SPKI PEM) is the examples' key, whose private half nobody holds. */
export function isExampleKey(publicKeyPem: string): boolean {
  return fingerprint(createPublicKey(publicKeyPem)) === EXAMPLE_KEY_FINGERPRINT;
}
