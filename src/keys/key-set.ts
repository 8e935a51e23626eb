/**
 * The bundle verification keys of the repository (`keys/<key-id>.pem`, public SPKI PEM, committed
 * and reviewed like policy), read at the edge: parsed with node:crypto, which also tells the
 * algorithm from the key itself. The active key is the first by id, unless `keys/active` names one.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isKeyFile, isKeyId, KEY_ID_RULE, KEYS_DIR } from '../contract/index.js';
import { cmp } from '../core/order.js';
import { algorithmOf } from './algorithm.js';
import { KeysError } from './errors.js';

/** A key sidecars verify their bundle with, as their OPA configuration names it. */
export interface VerificationKey {
  readonly id: string;
  /** RS256, PS256, ES256, ...: OPA verifies with the algorithm of its configuration, not the JWT header's. */
  readonly algorithm: string;
  /** SPKI PEM. */
  readonly publicKeyPem: string;
}

export interface KeySet {
  /** Sorted by id. */
  readonly keys: readonly VerificationKey[];
  readonly activeKeyId: string;
}

export function parseKeys(files: ReadonlyMap<string, string>, active: string | undefined, where: string = KEYS_DIR): KeySet {
  const keys: VerificationKey[] = [];
  for (const [name, text] of [...files.entries()].sort(([a], [b]) => cmp(a, b))) {
    const id = name.replace(/\.pem$/, '');
    if (!isKeyId(id)) throw new KeysError(`${where}/${name}: the key id "${id}" (the file name without .pem) must be ${KEY_ID_RULE}; rename the file`);
    // Exactly one PEM block, a public key: a private key appended to a public one must not pass
    // (the file is committed and pushed as it is).
    if (/PRIVATE KEY/.test(text)) throw new KeysError(`${where}/${name}: holds a private key; remove it from the repository at once (the server reads it from a Secret) and keep only the public key in SPKI PEM`);
    if (!/^-----BEGIN PUBLIC KEY-----\r?\n/.test(text)) throw new KeysError(`${where}/${name}: not a public key in SPKI PEM ("-----BEGIN PUBLIC KEY-----"); commit only public keys (custody keygen writes one)`);
    if ((text.match(/-----BEGIN /g) ?? []).length !== 1 || !/-----END PUBLIC KEY-----\s*$/.test(text)) {
      throw new KeysError(`${where}/${name}: must hold exactly one PEM block, the public key, and nothing after it`);
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: text, format: 'pem' });
    } catch (err) {
      throw new KeysError(`${where}/${name}: cannot read the public key: ${(err as Error).message}`);
    }
    const algorithm = algorithmOf(key);
    if (!algorithm) throw new KeysError(`${where}/${name}: a ${key.asymmetricKeyType} key; use an RSA key or an EC key on P-256, P-384 or P-521`);
    keys.push({ id, algorithm, publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString() });
  }
  if (keys.length === 0) {
    throw new KeysError(`no bundle verification key in ${where}/: every sidecar must verify its bundle's signature. Run custody keygen --id <key-id> (it writes ${where}/<key-id>.pem), or add the public key of your signing key as ${where}/<key-id>.pem, then generate again`);
  }
  const activeKeyId = active ?? keys[0]!.id;
  if (!keys.some((k) => k.id === activeKeyId)) {
    throw new KeysError(`${where}/active names "${activeKeyId}", but there is no ${where}/${activeKeyId}.pem; name one of: ${keys.map((k) => k.id).join(', ')}`);
  }
  return { keys, activeKeyId };
}

/**
 * The key set of a `keys/` folder given as its files by name (`*.pem`, `active`; others are
 * ignored), wherever they were read from: the working tree (`readKeys`) or a commit.
 */
export function parseKeyFiles(files: ReadonlyMap<string, string>, where: string = KEYS_DIR): KeySet {
  const pems = new Map([...files].filter(([name]) => name.endsWith('.pem')));
  let active: string | undefined;
  if (files.has('active')) {
    active = files.get('active')!.trim();
    if (active === '') throw new KeysError(`${where}/active is empty: write the id of the key sidecars should require, or delete the file to use the first key`);
  }
  return parseKeys(pems, active, where);
}

/** Reads `<dir>/*.pem` and `<dir>/active` (other files, such as a README, are left alone). */
export async function readKeys(dir: string, where = path.basename(dir)): Promise<KeySet> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return parseKeys(new Map(), undefined, where);
    throw err;
  }
  const files = new Map<string, string>();
  for (const name of names.filter(isKeyFile).sort()) {
    // A link could change the key without any change under keys/ (and Git commits the link).
    if ((await fs.lstat(path.join(dir, name))).isSymbolicLink()) {
      throw new KeysError(`${where}/${name} is a symbolic link: a trusted key must be a file under ${where}/, reviewed where it changes; copy the key in place of the link`);
    }
    files.set(name, await fs.readFile(path.join(dir, name), 'utf8'));
  }
  return parseKeyFiles(files, where);
}
