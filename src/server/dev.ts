/**
 * The embedded default: `custody serve` in a clone, with nothing prepared by hand. On first run
 * it makes a development signing key and one token per agent (and an admin token for the
 * rollout view) under `.custody/dev/` of the repository, which Git ignores, and says where.
 * Never for production: the key and tokens live beside the checkout.
 */
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUNDLES_DIR } from '../contract/index.js';
import { generateSigningKey } from '../keys/index.js';
import { sha256Hex, type StaticTokens } from './auth.js';

export const DEV_KEY_ID = 'custody-dev';

/** Where the embedded default keeps its files; commands that talk to it find them here too. */
export interface DevPaths {
  readonly dir: string;
  readonly signingKeyFile: string;
  readonly tokensFile: string;
  readonly adminTokenFile: string;
  /** `<workflow>/<agent>.token` under it. */
  readonly agentTokensDir: string;
}

export function devPaths(repository: string): DevPaths {
  const dir = path.join(repository, '.custody', 'dev');
  return {
    dir,
    signingKeyFile: path.join(dir, 'signing-key.pem'),
    tokensFile: path.join(dir, 'tokens.json'),
    adminTokenFile: path.join(dir, 'admin.token'),
    agentTokensDir: path.join(dir, 'tokens'),
  };
}

/** The public half of a PEM private key, as sidecars are configured with it. */
export function publicKeyPemOf(privateKeyFile: string): string {
  return createPublicKey(createPrivateKey(readFileSync(privateKeyFile)))
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

export interface DevState extends DevPaths {
  /** `<workflow>/<agent>` → its token file (plain token, mode 0600). */
  readonly agentTokenFiles: ReadonlyMap<string, string>;
  readonly created: readonly string[];
}

/** Creates what is missing; keeps what exists (so tokens handed to sidecars stay valid). */
export function ensureDevState(repository: string): DevState {
  const paths = devPaths(repository);
  const { signingKeyFile, adminTokenFile, tokensFile, agentTokensDir } = paths;
  mkdirSync(agentTokensDir, { recursive: true, mode: 0o700 });
  const created: string[] = [];
  if (!existsSync(signingKeyFile)) {
    writeFileSync(signingKeyFile, generateSigningKey('RS256').privateKeyPem, { mode: 0o600 });
    created.push(signingKeyFile);
  }
  const token = (file: string): string => {
    if (!existsSync(file)) {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
      created.push(file);
    }
    return readFileSync(file, 'utf8').trim();
  };
  const tokens: { agents: Record<string, string>; admins: string[] } = { agents: {}, admins: [sha256Hex(token(adminTokenFile))] };
  const agentTokenFiles = new Map<string, string>();
  for (const key of bundleAgents(path.join(repository, BUNDLES_DIR))) {
    const file = path.join(agentTokensDir, ...key.split('/')) + '.token';
    tokens.agents[key] = sha256Hex(token(file));
    agentTokenFiles.set(key, file);
  }
  writeFileSync(tokensFile, `${JSON.stringify(tokens satisfies StaticTokens, null, 2)}\n`, { mode: 0o600 });
  return { ...paths, agentTokenFiles, created };
}

function bundleAgents(bundles: string): string[] {
  if (!existsSync(bundles)) return [];
  const out: string[] = [];
  for (const w of readdirSync(bundles).sort()) {
    if (!statSync(path.join(bundles, w)).isDirectory()) continue;
    for (const a of readdirSync(path.join(bundles, w)).sort()) {
      if (statSync(path.join(bundles, w, a)).isDirectory()) out.push(`${w}/${a}`);
    }
  }
  return out;
}
