/**
 * What a change to the peer trust material of `keys/` does, pure: the mesh root each organisation
 * publishes for its cluster (`keys/roots/<cluster>.pem`: every peer then accepts the identities it
 * signs for that cluster's trust domain) and each cluster's token keys (`keys/jwks/<cluster>.json`:
 * the bundle server accepts that cluster's sidecars with tokens they sign). As strong a change as a
 * grant, so each is named with a fingerprint a reviewer can compare with the one the other
 * organisation sent by another channel.
 */
import { X509Certificate } from 'node:crypto';
import { KEY_JWKS_DIR, KEY_ROOTS_DIR } from '../contract/index.js';
import { cmp } from '../core/order.js';
import { jwkThumbprint } from '../keys/index.js';
import type { KeyFiles } from './key-changes.js';

export interface RootInfo {
  /**
   * SHA-256 of each certificate's DER, colon-separated upper-case hex, as `openssl x509
   * -fingerprint -sha256` prints it; empty when the file holds no readable certificate.
   */
  readonly fingerprints: readonly string[];
  /** The first certificate's subject, `O=…, CN=…`. */
  readonly subject?: string;
}

export interface TokenKeyInfo {
  /** The key's `kid` ("" when it has none). */
  readonly kid: string;
  /** RFC 7638 thumbprint (SHA-256, base64url); undefined when the key is not one RFC 7638 defines. */
  readonly thumbprint?: string;
}

export type TrustChangeKind = 'added' | 'changed' | 'removed';

export interface RootChange {
  readonly cluster: string;
  readonly change: TrustChangeKind;
  readonly before?: RootInfo;
  readonly after?: RootInfo;
  readonly text: string;
}

export interface TokenKeysChange {
  readonly cluster: string;
  readonly change: TrustChangeKind;
  /** The keys only in the head's set. */
  readonly added: readonly TokenKeyInfo[];
  /** The keys only in the base's set. */
  readonly removed: readonly TokenKeyInfo[];
  readonly text: string;
}

export interface TrustChanges {
  /** By cluster. */
  readonly roots: readonly RootChange[];
  /** By cluster. */
  readonly tokenKeys: readonly TokenKeysChange[];
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;

/** Lenient: the summary describes what a change commits, even a file `generate` would refuse. */
export function rootInfo(text: string): RootInfo {
  const fingerprints: string[] = [];
  let subject: string | undefined;
  for (const block of text.match(CERTIFICATE) ?? []) {
    try {
      const cert = new X509Certificate(block);
      fingerprints.push(cert.fingerprint256);
      subject ??= cert.subject.replace(/\n/g, ', ');
    } catch {
      // Unreadable: left out, and said so when none is readable.
    }
  }
  return { fingerprints, ...(subject ? { subject } : {}) };
}

/** The keys of a key set file; undefined when it is not a JSON Web Key Set at all. */
export function tokenKeyInfo(text: string): TokenKeyInfo[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return undefined;
  return keys.map((k: unknown) => {
    const kid = (k as { kid?: unknown } | null)?.kid;
    const thumbprint = jwkThumbprint(k);
    return { kid: typeof kid === 'string' ? kid : '', ...(thumbprint ? { thumbprint } : {}) };
  });
}

/** `<sub>/<cluster><ext>` files of one version, by cluster. */
function byCluster(files: KeyFiles, sub: string, ext: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, text] of files) {
    if (name.startsWith(`${sub}/`) && name.endsWith(ext) && !name.slice(sub.length + 1).includes('/')) out.set(name.slice(sub.length + 1, -ext.length), text);
  }
  return out;
}

const rootWords = (r: RootInfo) =>
  r.fingerprints.length ? `SHA-256 ${r.fingerprints.join(', ')}${r.subject ? ` (${r.subject})` : ''}` : 'not a readable certificate';

const keyWords = (k: TokenKeyInfo) =>
  `${k.kid ? `kid ${k.kid}` : 'a key without kid'} (${k.thumbprint ? `RFC 7638 thumbprint ${k.thumbprint}` : 'not a key RFC 7638 defines'})`;

function compareRoots(base: KeyFiles, head: KeyFiles): RootChange[] {
  const before = byCluster(base, KEY_ROOTS_DIR, '.pem');
  const after = byCluster(head, KEY_ROOTS_DIR, '.pem');
  const out: RootChange[] = [];
  for (const cluster of [...new Set([...before.keys(), ...after.keys()])].sort(cmp)) {
    const was = before.get(cluster);
    const now = after.get(cluster);
    if (was === now) continue;
    const b = was === undefined ? undefined : rootInfo(was);
    const a = now === undefined ? undefined : rootInfo(now);
    if (!b)
      out.push({
        cluster,
        change: 'added',
        after: a!,
        text: `mesh root of ${cluster} added: ${rootWords(a!)}; every peer cluster will accept the identities it signs for ${cluster}'s trust domain`,
      });
    else if (!a)
      out.push({ cluster, change: 'removed', before: b, text: `mesh root of ${cluster} removed (was ${rootWords(b)}); peers no longer accept its identities` });
    else if (b.fingerprints.join() !== a.fingerprints.join() || a.fingerprints.length === 0)
      out.push({
        cluster,
        change: 'changed',
        before: b,
        after: a,
        text: `mesh root of ${cluster} replaced: ${rootWords(a)}, was ${b.fingerprints.join(', ') || 'unreadable'}; peers will accept the identities the new one signs`,
      });
  }
  return out;
}

function compareTokenKeys(base: KeyFiles, head: KeyFiles): TokenKeysChange[] {
  const before = byCluster(base, KEY_JWKS_DIR, '.json');
  const after = byCluster(head, KEY_JWKS_DIR, '.json');
  const out: TokenKeysChange[] = [];
  for (const cluster of [...new Set([...before.keys(), ...after.keys()])].sort(cmp)) {
    const was = before.get(cluster);
    const now = after.get(cluster);
    if (was === now) continue;
    const b = was === undefined ? [] : (tokenKeyInfo(was) ?? []);
    const a = now === undefined ? [] : (tokenKeyInfo(now) ?? []);
    // Keys are told apart by what they are (the thumbprint), not by the kid a file gives them.
    const id = (k: TokenKeyInfo) => k.thumbprint ?? `kid:${k.kid}`;
    const added = a.filter((k) => !b.some((x) => id(x) === id(k)));
    const removed = b.filter((k) => !a.some((x) => id(x) === id(k)));
    const unreadable = now !== undefined && tokenKeyInfo(now) === undefined;
    if (was === undefined) {
      out.push({
        cluster,
        change: 'added',
        added,
        removed,
        text: `token keys of ${cluster} added: ${unreadable ? 'not a JSON Web Key Set' : added.map(keyWords).join(', ')}; the bundle server will accept ${cluster}'s sidecars with the tokens they sign`,
      });
    } else if (now === undefined) {
      out.push({
        cluster,
        change: 'removed',
        added,
        removed,
        text: `token keys of ${cluster} removed: ${removed.map(keyWords).join(', ') || 'none readable'}; the bundle server no longer accepts tokens signed with them`,
      });
    } else if (added.length || removed.length || unreadable) {
      const parts = [
        ...(unreadable ? ['now not a JSON Web Key Set'] : []),
        ...(added.length ? [`added ${added.map(keyWords).join(', ')}`] : []),
        ...(removed.length ? [`removed ${removed.map(keyWords).join(', ')}`] : []),
      ];
      out.push({ cluster, change: 'changed', added, removed, text: `token keys of ${cluster} changed: ${parts.join('; ')}` });
    }
  }
  return out;
}

/** Undefined when no cluster's root or token keys differ (a reformatted key set with the same keys is no change). */
export function compareTrustFiles(base: KeyFiles, head: KeyFiles): TrustChanges | undefined {
  const roots = compareRoots(base, head);
  const tokenKeys = compareTokenKeys(base, head);
  return roots.length || tokenKeys.length ? { roots, tokenKeys } : undefined;
}
