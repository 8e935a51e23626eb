export { algorithmOf, ecAlgorithm } from './algorithm.js';
export { KeysError } from './errors.js';
export { EXAMPLE_KEY_FINGERPRINT, fingerprint, isExampleKey } from './fingerprint.js';
export { generateSigningKey, type KeygenAlgorithm, type SigningKeyPair } from './generate.js';
export { JWKS_DIR, jwkThumbprint, parseJwksFiles, type ClusterJwks } from './jwks.js';
export {
  jwksClusters,
  parseKeyFiles,
  parseKeys,
  parseRoots,
  readKeys,
  rootClusters,
  type KeySet,
  type RootCertificate,
  type VerificationKey,
} from './key-set.js';
