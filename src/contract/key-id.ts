/**
 * The one rule for a key id. An id names a file (`keys/<id>.pem`), an OPA key (`keys.<id>`,
 * `signing.keyid`), the JWS `kid`, and a header value a sidecar sends; a DNS-1123 label is safe
 * in all of them and in a Kubernetes name, so `keygen`, `generate`, the server's configuration
 * and the signer accept exactly the same ids.
 */
import { isDnsLabel } from '../core/names.js';

export const KEY_ID_RULE = 'a DNS-1123 label (at most 63 of a-z, 0-9 and -, starting and ending with a letter or digit)';

export function isKeyId(id: string): boolean {
  return isDnsLabel(id);
}
