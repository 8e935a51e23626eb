/** What `check`, `generate`, `commit` and `pr` know of the deployment besides the specs, read at the edge. */
import path from 'node:path';
import { jwksClusters, readKeys, rootClusters, type KeySet } from '../keys/index.js';
import { assertRepositoryFolder, displayPath, type Io } from './io.js';
import { originForTrees } from './origin.js';
import type { DeploymentFacts } from './workflows.js';

export interface Deployment {
  /** The repository and active signing key, for the deployment warnings. */
  readonly facts: DeploymentFacts;
  /** The clusters whose mesh root (keys/roots/) and token key set (keys/jwks/) are committed. */
  readonly roots: ReadonlySet<string>;
  readonly jwks: ReadonlySet<string>;
  /** The key set, or why keys/ does not read: the error of the command that needs the keys, not of `check`. */
  readonly keys: KeySet | Error;
}

/**
 * keys/ read once for everything the commands ask of it, and the clone's origin (https or ssh
 * only; one with credentials is refused). When keys/ does not read, the committed clusters are
 * still listed by file name, so that `check` warns about missing roots all the same; a keys folder
 * that is a link in the repository is refused outright, for `check` too, as workflows/ is: its
 * files (`active` is quoted in errors) would come from wherever it points.
 */
export async function readDeployment(root: string, keysDir: string, io: Io): Promise<Deployment> {
  await assertRepositoryFolder(keysDir, io.cwd, root);
  let keys: KeySet | Error;
  try {
    keys = await readKeys(keysDir, displayPath(keysDir, io.cwd));
  } catch (err) {
    keys = err as Error;
  }
  let facts: DeploymentFacts = {};
  let roots: ReadonlySet<string>;
  let jwks: ReadonlySet<string>;
  if (keys instanceof Error) {
    roots = await rootClusters(keysDir);
    jwks = await jwksClusters(keysDir);
  } else {
    const key = keys.keys.find((k) => k.id === keys.activeKeyId)!;
    facts = { activeKey: { id: key.id, publicKeyPem: key.publicKeyPem, file: displayPath(path.join(keysDir, `${key.id}.pem`), io.cwd) } };
    roots = new Set(keys.roots?.keys());
    jwks = new Set(keys.jwks?.keys());
  }
  const repository = await originForTrees(root);
  return { facts: { ...facts, ...(repository ? { repository } : {}) }, roots, jwks, keys };
}
