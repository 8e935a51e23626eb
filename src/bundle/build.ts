import { BundleError } from './errors.js';
import { canonicalBytes, digestHex, fileDigest } from './hash.js';
import { sortUtf8 } from '../core/order.js';
import { signaturesFile, type FileDigest, type Signer } from './sign.js';
import { checkData, checkPath, parseManifest, MANIFEST, REQUIRED_FILES, SIGNATURES } from './sources.js';
import { writeTarball } from './tarball.js';

export interface BuildOptions {
  /** Bundle sources by relative path: `.manifest` (without `revision`), `policy.rego`, `data.json`, and optionally more. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Written into `.manifest` as `revision`; OPA reports it as the active revision. Usually the Git commit. */
  readonly revision: string;
  /** Without one the bundle is unsigned, which OPA refuses whenever `signing.keyid` is configured. */
  readonly signer?: Signer;
  /** JWT `iat` in seconds; required with `signer`, so the same revision always signs the same payload. */
  readonly iat?: number;
  /** JWT `scope`; omit unless OPA's signing config sets the same scope. */
  readonly scope?: string;
}

export interface BuiltBundle {
  /** The gzip tarball to serve. */
  readonly bytes: Buffer;
  /** Strong, quoted: `"<sha256 of bytes>"`. */
  readonly etag: string;
  /** The `.manifest` as written, with `revision` (through JSON.parse: big number literals lose digits here, not in the file). */
  readonly manifest: Readonly<Record<string, unknown>>;
  /** The signed digest of every file except `.signatures.json`, sorted by name. */
  readonly digests: readonly FileDigest[];
}

/**
 * Sources in, OPA bundle out, with no I/O and no clock: the same options give the same bytes
 * (with an RS* signer; see createSigner about PS and ES).
 */
export async function buildBundle(options: BuildOptions): Promise<BuiltBundle> {
  const { files, revision, signer } = options;
  if (revision === '' || /\p{Cs}/u.test(revision)) {
    throw new BundleError('bad-revision', 'revision must be a non-empty, well-formed string');
  }
  for (const name of files.keys()) checkPath(name);
  for (const name of REQUIRED_FILES) {
    if (!files.has(name)) throw new BundleError('missing-file', 'required bundle source is missing', name);
  }

  const manifest = parseManifest(files.get(MANIFEST) as Uint8Array);
  manifest.set('revision', revision);
  const manifestBytes = canonicalBytes(manifest);

  const out = new Map<string, Uint8Array>();
  const digests: FileDigest[] = [];
  for (const name of sortUtf8(files.keys())) {
    const bytes = files.get(name) as Uint8Array;
    let hash: string;
    if (name === MANIFEST) {
      // Written in canonical form, so the file and its digest input are the same bytes.
      out.set(name, manifestBytes);
      hash = digestHex(manifestBytes);
    } else if (name === 'data.json' || name.endsWith('/data.json')) {
      out.set(name, bytes);
      hash = digestHex(canonicalBytes(checkData(name, bytes)));
    } else {
      out.set(name, bytes);
      hash = fileDigest(name, bytes);
    }
    digests.push({ name, hash, algorithm: 'SHA-256' });
  }

  if (signer !== undefined) {
    if (options.iat === undefined) {
      throw new BundleError('bad-iat', 'signing needs an explicit iat (e.g. the commit time), never the current time');
    }
    const claims = options.scope === undefined ? { iat: options.iat } : { iat: options.iat, scope: options.scope };
    out.set(SIGNATURES, await signaturesFile(digests, signer, claims));
  }

  const bytes = await writeTarball(out);
  return {
    bytes,
    etag: `"${digestHex(bytes)}"`,
    manifest: JSON.parse(manifestBytes.toString('utf8')) as Record<string, unknown>,
    digests,
  };
}
