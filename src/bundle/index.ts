export { buildBundle, type BuildOptions, type BuiltBundle } from './build.js';
export { BundleError, type BundleErrorCode } from './errors.js';
export { canonicalJson, fileDigest, isStructuredFile, type HashAlgorithm } from './hash.js';
export { createSigner, signaturesFile, type FileDigest, type SignatureClaims, type Signer, type SignerOptions, type SigningAlgorithm } from './sign.js';
export { readTarball, writeTarball } from './tarball.js';
