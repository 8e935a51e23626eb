import { BundleError } from './errors.js';
import { hasBom } from './hash.js';
import { JsonNumber, parseJson, type JsonValue } from './json.js';

export const MANIFEST = '.manifest';
export const SIGNATURES = '.signatures.json';
/** What the generator writes per agent; other files may be added beside them and are signed too. */
export const REQUIRED_FILES = [MANIFEST, 'policy.rego', 'data.json'] as const;

/**
 * Refuses names OPA would misread. Each rule is a way a file could escape verification or land
 * somewhere unexpected once OPA loads the tarball.
 */
export function checkPath(name: string): void {
  const bad = (why: string): never => {
    throw new BundleError('bad-path', why, name);
  };
  if (name === '') bad('empty file name');
  if (/[\u0000-\u001f\u007f\\]/.test(name) || /\p{Cs}/u.test(name)) bad('control character, backslash or lone surrogate in name');
  const segments = name.split('/');
  if (segments.some((s) => s === '')) bad('absolute path, trailing slash or empty segment');
  // preProcessBundle treats any path ending in "signatures.json" as the signatures file and never
  // verifies it; Reader.Read decodes any "*.manifest" as the manifest.
  if (name.endsWith('signatures.json')) bad('names ending in signatures.json are reserved for OPA signatures');
  if (name !== MANIFEST && name.endsWith(MANIFEST)) bad('only the root .manifest may end in .manifest');
  // Covers `.` and `..` (traversal), `._*` AppleDouble files (opa#3127) and hidden directories,
  // whose leading dot OPA's getNormalizedPath strips from the data path.
  if (name !== MANIFEST && segments.some((s) => s.startsWith('.'))) bad('hidden file or directory, `.` or `..`');
  const base = segments[segments.length - 1] as string;
  // A patch.json makes a delta bundle, and OPA verifies no signatures on delta bundles.
  if (base === 'patch.json') bad('patch.json would turn the bundle into an unsigned delta bundle');
  // data.yaml is hashed after YAML-to-JSON conversion that is not reproduced here.
  if (base === 'data.yaml' || base === 'data.yml') bad('write data as data.json, not YAML');
}

/**
 * Parses a source `.manifest` with the field types OPA's Manifest struct decodes (a wrong type
 * fails "bundle load failed on manifest decode"). `revision` must be absent: the builder stamps
 * the Git revision, and a source value would otherwise be silently replaced.
 */
export function parseManifest(bytes: Uint8Array): Map<string, JsonValue> {
  const bad = (why: string): never => {
    throw new BundleError('bad-manifest', why, MANIFEST);
  };
  const manifest = parseStructured(bytes, MANIFEST, 'bad-manifest');
  if (!(manifest instanceof Map)) return bad('must be a JSON object');
  if (manifest.has('revision')) bad('must not set "revision"; the builder writes the Git revision');
  const roots = manifest.get('roots');
  if (!Array.isArray(roots) || !roots.every((r) => typeof r === 'string')) bad('"roots" must be an array of strings');
  if (manifest.has('rego_version')) {
    const v = manifest.get('rego_version');
    // Decoded into a Go *int: "1.0" or "1e0" would not decode.
    if (!(v instanceof JsonNumber) || (v.literal !== '0' && v.literal !== '1')) bad('"rego_version" must be 0 or 1');
  }
  if (manifest.has('metadata') && !(manifest.get('metadata') instanceof Map)) bad('"metadata" must be an object');
  return new Map(manifest);
}

/**
 * Checks a `data.json` the way Reader.Read loads it: util.UnmarshalJSON, which, unlike the
 * digest, does not skip a BOM; the root file must be an object (mktree: "root value must be object").
 */
export function checkData(name: string, bytes: Uint8Array): JsonValue {
  if (hasBom(bytes)) throw new BundleError('bad-data', 'starts with a UTF-8 BOM, which OPA fails to load', name);
  const value = parseStructured(bytes, name, 'bad-data');
  if (name === 'data.json' && !(value instanceof Map)) {
    throw new BundleError('bad-data', 'the root data.json must be a JSON object', name);
  }
  return value;
}

function parseStructured(bytes: Uint8Array, name: string, code: 'bad-manifest' | 'bad-data'): JsonValue {
  try {
    return parseJson(bytes);
  } catch (err) {
    if (err instanceof BundleError) throw new BundleError(code, err.message, name);
    throw err;
  }
}
