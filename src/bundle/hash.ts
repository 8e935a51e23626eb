import { createHash } from 'node:crypto';
import { canonicalText, parseJson, type JsonValue } from './json.js';

/** The names OPA accepts in `files[].algorithm` (v1/bundle/hash.go); exact and case-sensitive. */
export type HashAlgorithm = 'MD5' | 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512' | 'SHA-512-224' | 'SHA-512-256';

const NODE_HASH: Readonly<Record<HashAlgorithm, string>> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA-512-224': 'sha512-224',
  'SHA-512-256': 'sha512-256',
};

/**
 * OPA's IsStructuredDoc: only these exact basenames are hashed as parsed JSON. Everything else,
 * including `data.yml` and any other `*.json`, is hashed over its raw bytes.
 */
const STRUCTURED = new Set(['data.json', 'data.yaml', 'signatures.json', '.manifest']);

export function isStructuredFile(name: string): boolean {
  return STRUCTURED.has(name.slice(name.lastIndexOf('/') + 1));
}

/**
 * OPA's canonical serialisation of a structured file. A UTF-8 BOM is dropped first, as
 * util.Unmarshal does. OPA would fall back to YAML for non-JSON bytes; that is refused here
 * (code `bad-json`), since Custody only ever writes JSON.
 */
export function canonicalJson(bytes: Uint8Array): Buffer {
  return canonicalBytes(parseJson(stripBom(bytes)));
}

/** The lowercase hex digest OPA expects for file `name` (a bundle path, leading `/` or not). */
export function fileDigest(name: string, bytes: Uint8Array, algorithm: HashAlgorithm = 'SHA-256'): string {
  return digestHex(isStructuredFile(name) ? canonicalJson(bytes) : bytes, algorithm);
}

export function canonicalBytes(value: JsonValue): Buffer {
  return Buffer.from(canonicalText(value), 'utf8');
}

export function digestHex(bytes: Uint8Array, algorithm: HashAlgorithm = 'SHA-256'): string {
  return createHash(NODE_HASH[algorithm]).update(bytes).digest('hex');
}

export function hasBom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

function stripBom(bytes: Uint8Array): Uint8Array {
  return hasBom(bytes) ? bytes.subarray(3) : bytes;
}
