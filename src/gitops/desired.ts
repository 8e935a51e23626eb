/**
 * The desired trees of a repository: what `custody generate` would write from the working
 * tree's specs and keys, rendered by the same function (`renderAll`), and the inputs they were
 * rendered from. One place adapts to the renderer's inputs, so `commit` and `pr` always commit
 * exactly what `generate` writes.
 */
import { promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { renderAll, type KeySet, type Tree } from '../generate/index.js';
import type { Workflow } from '../spec/index.js';
import { isWorkflowFile, WORKFLOWS_DIR } from './revision.js';

/** The top-level files of a folder that are inputs of the generated trees. */
export interface InputSelection {
  readonly root: string;
  /** Which names in the folder are inputs (others, such as a README, are not Custody's). */
  readonly select: (name: string) => boolean;
}

/** An input folder as it is in the working tree: the selected files' bytes by name. */
export interface InputFolder extends InputSelection {
  readonly files: ReadonlyMap<string, Buffer>;
}

/** What the trees are rendered from: the specs, and the bundle verification keys (`keys/`). */
export const INPUTS: readonly InputSelection[] = [
  { root: WORKFLOWS_DIR, select: isWorkflowFile },
  { root: 'keys', select: (name) => name.endsWith('.pem') || name === 'active' },
];

/** Custody's package version: the bundle server's image tag in `generated/`, as `generate` uses it. */
export function packageVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

/** The trees `custody generate` writes for these checked workflows and keys. */
export function desiredTrees(workflows: readonly Workflow[], keys: KeySet): Tree[] {
  return renderAll(workflows, { ...keys, version: packageVersion() });
}

/** The selected files of each input folder of the working tree at `dir` (absent folder: none). */
export async function readInputFolders(dir: string, selections: readonly InputSelection[] = INPUTS): Promise<InputFolder[]> {
  return Promise.all(selections.map(async (s) => {
    const files = new Map<string, Buffer>();
    let names: string[] = [];
    try {
      names = (await fsp.readdir(path.join(dir, s.root), { withFileTypes: true })).filter((e) => e.isFile() && s.select(e.name)).map((e) => e.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of names.sort()) files.set(name, await fsp.readFile(path.join(dir, s.root, name)));
    return { ...s, files };
  }));
}
