/**
 * The bundle verification keys of the repository (`keys/<key-id>.pem`, public SPKI PEM, committed
 * and reviewed like policy), read at the edge: parsed with node:crypto, which also tells the
 * algorithm from the key itself. The active key is the first by id, unless `keys/active` names one.
 * Also the mesh root certificates of `keys/roots/` and the clusters' token keys of `keys/jwks/`:
 * public trust material reviewed the same way.
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isKeyFile, isKeyId, isKeyInput, KEY_ID_RULE, KEY_ROOTS_DIR, KEY_SUBFOLDERS, KEYS_DIR } from '../contract/index.js';
import { isDnsLabel } from '../core/names.js';
import { cmp } from '../core/order.js';
import { algorithmOf } from './algorithm.js';
import { KeysError } from './errors.js';
import { JWKS_DIR, parseJwksFiles, type ClusterJwks } from './jwks.js';

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
  /** The mesh root certificates of `keys/roots/`, by cluster (absent: none committed). */
  readonly roots?: ReadonlyMap<string, RootCertificate>;
  /** The clusters' ServiceAccount token keys of `keys/jwks/`, by cluster (absent: none committed). */
  readonly jwks?: ReadonlyMap<string, ClusterJwks>;
}

export function parseKeys(files: ReadonlyMap<string, string>, active: string | undefined, where: string = KEYS_DIR): KeySet {
  const keys: VerificationKey[] = [];
  for (const [name, text] of [...files.entries()].sort(([a], [b]) => cmp(a, b))) {
    const id = name.replace(/\.pem$/, '');
    if (!isKeyId(id)) throw new KeysError(`${where}/${name}: the key id "${id}" (the file name without .pem) must be ${KEY_ID_RULE}; rename the file`);
    // Exactly one PEM block, a public key: a private key appended to a public one must not pass
    // (the file is committed and pushed as it is).
    if (/PRIVATE KEY/.test(text))
      throw new KeysError(
        `${where}/${name}: holds a private key; remove it from the repository at once (the server reads it from a Secret) and keep only the public key in SPKI PEM`,
      );
    if (!/^-----BEGIN PUBLIC KEY-----\r?\n/.test(text))
      throw new KeysError(`${where}/${name}: not a public key in SPKI PEM ("-----BEGIN PUBLIC KEY-----"); commit only public keys (custody keygen writes one)`);
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
    throw new KeysError(
      `no bundle verification key in ${where}/: every sidecar must verify its bundle's signature. Run custody keygen --id <key-id> (it writes ${where}/<key-id>.pem), or add the public key of your signing key as ${where}/<key-id>.pem, then generate again`,
    );
  }
  const activeKeyId = active ?? keys[0]!.id;
  if (!keys.some((k) => k.id === activeKeyId)) {
    throw new KeysError(
      `${where}/active names "${activeKeyId}", but there is no ${where}/${activeKeyId}.pem; name one of: ${keys.map((k) => k.id).join(', ')}`,
    );
  }
  return { keys, activeKeyId };
}

/**
 * The key set of a `keys/` folder given as its files by name (`*.pem`, `active`, `roots/*`;
 * others are ignored), wherever they were read from: the working tree (`readKeys`) or a commit.
 */
export function parseKeyFiles(files: ReadonlyMap<string, string>, where: string = KEYS_DIR): KeySet {
  const pems = new Map([...files].filter(([name]) => name.endsWith('.pem') && !name.includes('/')));
  const roots = new Map(
    [...files].filter(([name]) => name.startsWith(`${KEY_ROOTS_DIR}/`)).map(([name, text]) => [name.slice(KEY_ROOTS_DIR.length + 1), text]),
  );
  let active: string | undefined;
  if (files.has('active')) {
    active = files.get('active')!.trim();
    if (active === '')
      throw new KeysError(`${where}/active is empty: write the id of the key sidecars should require, or delete the file to use the first key`);
  }
  const jwks = new Map([...files].filter(([name]) => name.startsWith(`${JWKS_DIR}/`)).map(([name, text]) => [name.slice(JWKS_DIR.length + 1), text]));
  const set = parseKeys(pems, active, where);
  return {
    ...set,
    ...(roots.size ? { roots: parseRoots(roots, `${where}/${KEY_ROOTS_DIR}`) } : {}),
    ...(jwks.size ? { jwks: parseJwksFiles(jwks, `${where}/${JWKS_DIR}`) } : {}),
  };
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
      throw new KeysError(
        `${where}/${name} is a symbolic link: a trusted key must be a file under ${where}/, reviewed where it changes; copy the key in place of the link`,
      );
    }
    files.set(name, await fs.readFile(path.join(dir, name), 'utf8'));
  }
  for (const sub of KEY_SUBFOLDERS) {
    let names: string[] = [];
    try {
      // A linked subfolder would bring in trust material from wherever it points, unreviewed (and Git commits the link).
      if ((await fs.lstat(path.join(dir, sub))).isSymbolicLink())
        throw new KeysError(
          `${where}/${sub} is a symbolic link: trusted material must be in a folder under ${where}/, reviewed where it changes; replace the link with the folder itself`,
        );
      names = (await fs.readdir(path.join(dir, sub))).filter((n) => isKeyInput(`${sub}/${n}`)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of names) {
      const file = path.join(dir, sub, name);
      if (!(await fs.lstat(file)).isFile())
        throw new KeysError(`${where}/${sub}/${name} is not a file: trusted material must be a file under ${where}/${sub}/, reviewed where it changes`);
      files.set(`${sub}/${name}`, await fs.readFile(file, 'utf8'));
    }
  }
  return parseKeyFiles(files, where);
}

/*
 * The root certificates the organisations publish (`keys/roots/<cluster>.pem`): the certificate
 * authority of each cluster's mesh, which every peer cluster trusts for that cluster's trust
 * domain. Refused when a file could leak a secret or would not be trusted by Istio.
 */

export interface RootCertificate {
  /** The cluster whose mesh the certificate authority signs for (the file name without `.pem`). */
  readonly cluster: string;
  /** The certificates as committed, normalised to PEM blocks separated by newlines. */
  readonly pem: string;
  /** SHA-256 of the (first) certificate, colon-separated hex, as `openssl x509 -fingerprint -sha256` prints it. */
  readonly fingerprint: string;
  readonly subject: string;
  /** ISO 8601. */
  readonly notAfter: string;
}

const BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;

/** `files`: by name relative to `keys/roots/` (`<cluster>.pem`); other names are refused. */
export function parseRoots(files: ReadonlyMap<string, string>, where = 'keys/roots'): Map<string, RootCertificate> {
  const out = new Map<string, RootCertificate>();
  for (const [name, text] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const cluster = name.replace(/\.pem$/, '');
    if (!name.endsWith('.pem') || !isDnsLabel(cluster)) {
      throw new KeysError(`${where}/${name}: a root certificate's file is named after its cluster, <cluster>.pem (a DNS-1123 label); rename it`);
    }
    // The private key of a mesh's certificate authority signs every identity of its organisation:
    // committed, it would let anyone with read access impersonate every agent there.
    if (/PRIVATE KEY/.test(text))
      throw new KeysError(
        `${where}/${name}: holds a private key; remove it from the repository at once, rotate that certificate authority, and commit only its certificate`,
      );
    const blocks = text.match(BLOCK) ?? [];
    const rest = text.replace(BLOCK, '').trim();
    if (blocks.length === 0 || rest !== '')
      throw new KeysError(
        `${where}/${name}: must hold only PEM certificates ("-----BEGIN CERTIFICATE-----"), the root of the cluster's mesh, and nothing else`,
      );
    const certs = blocks.map((b) => {
      try {
        return new X509Certificate(b);
      } catch (err) {
        throw new KeysError(`${where}/${name}: cannot read a certificate: ${(err as Error).message}`);
      }
    });
    for (const c of certs) {
      if (!c.ca)
        throw new KeysError(
          `${where}/${name}: ${c.subject.replace(/\n/g, ', ')} is not a certificate authority (basicConstraints CA:TRUE): commit the mesh's root, not a workload's certificate`,
        );
    }
    const first = certs[0]!;
    out.set(cluster, {
      cluster,
      pem: `${blocks.map((b) => b.replace(/\r\n/g, '\n')).join('\n')}\n`,
      fingerprint: first.fingerprint256,
      subject: first.subject.replace(/\n/g, ', '),
      notAfter: new Date(first.validTo).toISOString(),
    });
  }
  return out;
}

/** The clusters with a committed root (`<dir>/roots/<cluster>.pem`), without reading them: for `check`. */
export async function rootClusters(dir: string): Promise<Set<string>> {
  return clustersIn(dir, KEY_ROOTS_DIR, '.pem');
}

/** The clusters with a committed token key set (`<dir>/jwks/<cluster>.json`), without reading them: for `check`. */
export async function jwksClusters(dir: string): Promise<Set<string>> {
  return clustersIn(dir, JWKS_DIR, '.json');
}

async function clustersIn(dir: string, sub: string, ext: string): Promise<Set<string>> {
  try {
    return new Set((await fs.readdir(path.join(dir, sub))).filter((n) => n.endsWith(ext)).map((n) => n.slice(0, -ext.length)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw err;
  }
}
