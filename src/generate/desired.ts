/**
 * The trees `custody generate` writes: one function, so `generate`, `commit` and `pr` always
 * produce the same bytes from the same specs and keys.
 */
import { createRequire } from 'node:module';
import type { Workflow } from '../workflow/index.js';
import type { KeySet } from '../keys/index.js';
import { renderAll, type Tree } from './render.js';

/** Custody's package version: the bundle server's image tag in `generated/`. */
export function packageVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

/**
 * The trees `custody generate` writes for these checked workflows and keys. `repository`: the
 * clone's origin for clusters whose spec names no repository, read by the caller (the output
 * depends on nothing else of the machine).
 */
export function desiredTrees(workflows: readonly Workflow[], keys: KeySet, repository?: string): Tree[] {
  return renderAll(workflows, { ...keys, version: packageVersion(), ...(repository ? { repository } : {}) });
}
