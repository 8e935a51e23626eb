/**
 * What a change to `keys/` does, pure: the keys sidecars trust to verify their bundles, and the
 * one they require (`keys/active`). A new key is as strong a change as any grant (whoever holds
 * its private half can sign any policy), so the summary names it with its fingerprint, the way
 * a reviewer can compare it with the key the owner meant to add.
 */
import { createPublicKey } from 'node:crypto';
import { algorithmOf, fingerprint } from '../keys/index.js';
import { cmp } from '../core/order.js';

export interface KeyInfo {
  readonly id: string;
  /** RS256, ES256, …; undefined when the file is not a usable public key. */
  readonly algorithm?: string;
  /**
   * `SHA256:` and the unpadded base64 SHA-256 of the key's DER SubjectPublicKeyInfo, what
   * `openssl pkey -pubin -in KEY.pem -outform DER | openssl dgst -sha256 -binary | base64` prints
   * (and `custody keygen`). Not ssh-keygen's: that one hashes the SSH encoding of the key.
   */
  readonly fingerprint?: string;
}

export interface KeyChanges {
  readonly added: readonly KeyInfo[];
  readonly removed: readonly KeyInfo[];
  /** Same id, another key. */
  readonly replaced: readonly { readonly before: KeyInfo; readonly after: KeyInfo }[];
  /** The key sidecars require, when it changed (the first key by id when `keys/active` is absent). */
  readonly active?: { readonly before?: string; readonly after?: string };
  readonly text: readonly string[];
}

/**
 * `keys/` of one version: path relative to `keys/` → text (the `*.pem` files and `active`, and
 * the peers' `roots/` and `jwks/`, which trust-changes.ts compares).
 */
export type KeyFiles = ReadonlyMap<string, string>;

/** A bundle verification key: a top-level `<key-id>.pem` (a root under `roots/` is not one). */
const isSigningKey = (name: string) => name.endsWith('.pem') && !name.includes('/');

export function keyInfo(name: string, text: string): KeyInfo {
  const id = name.replace(/\.pem$/, '');
  try {
    const key = createPublicKey({ key: text, format: 'pem' });
    const algorithm = algorithmOf(key);
    return { id, ...(algorithm ? { algorithm } : {}), fingerprint: fingerprint(key) };
  } catch {
    return { id };
  }
}

function activeOf(files: KeyFiles): string | undefined {
  const named = files.get('active')?.trim();
  if (named) return named;
  return [...files.keys()]
    .filter(isSigningKey)
    .sort(cmp)[0]
    ?.replace(/\.pem$/, '');
}

const describe = (k: KeyInfo) => `${k.id} (${k.algorithm ?? 'not a usable public key'}${k.fingerprint ? `, ${k.fingerprint}` : ''})`;

/** Undefined when the trusted keys and the required one are the same in both versions. */
export function compareKeyFiles(base: KeyFiles, head: KeyFiles): KeyChanges | undefined {
  const pems = (files: KeyFiles) =>
    new Map(
      [...files]
        .filter(([n]) => isSigningKey(n))
        .sort(([a], [b]) => cmp(a, b))
        .map(([n, t]) => [n, keyInfo(n, t)]),
    );
  const before = pems(base);
  const after = pems(head);
  const added: KeyInfo[] = [];
  const removed: KeyInfo[] = [];
  const replaced: { before: KeyInfo; after: KeyInfo }[] = [];
  for (const [name, k] of after) {
    const was = before.get(name);
    if (!was) added.push(k);
    else if (was.fingerprint !== k.fingerprint || (base.get(name) !== head.get(name) && !k.fingerprint)) replaced.push({ before: was, after: k });
  }
  for (const [name, k] of before) if (!after.has(name)) removed.push(k);
  const activeBefore = activeOf(base);
  const activeAfter = activeOf(head);
  const active =
    activeBefore !== activeAfter ? { ...(activeBefore ? { before: activeBefore } : {}), ...(activeAfter ? { after: activeAfter } : {}) } : undefined;
  if (!added.length && !removed.length && !replaced.length && !active) return undefined;
  const text = [
    ...added.map((k) => `trusted key added: ${describe(k)}; whoever holds its private key can sign bundles the sidecars accept once it is required`),
    ...replaced.map((r) => `trusted key ${r.after.id} now holds another key: ${describe(r.after)}, was ${r.before.fingerprint ?? 'unreadable'}`),
    ...removed.map((k) => `trusted key removed: ${describe(k)}`),
    ...(active ? [`sidecars now require bundles signed with ${active.after ?? 'no key'}${active.before ? ` (was ${active.before})` : ''}`] : []),
  ];
  return { added, removed, replaced, ...(active ? { active } : {}), text };
}
