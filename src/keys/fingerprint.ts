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
