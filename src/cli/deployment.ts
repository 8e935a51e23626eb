/** What `check`, `generate`, `commit` and `pr` know of the deployment besides the specs, read at the edge. */
import path from 'node:path';
import { readKeys } from '../keys/index.js';
import { displayPath, type Io } from './io.js';
import { originForTrees } from './origin.js';
import type { DeploymentFacts } from './workflows.js';

/**
 * The repository and signing key the trees would use, for the deployment warnings: the clone's
 * origin (https or ssh only; one with credentials is refused), and the active key when keys/ reads
 * (a broken keys/ is generate's own error, reported where the keys are used).
 */
export async function deploymentFacts(root: string, keysDir: string, io: Io): Promise<DeploymentFacts> {
  let activeKey: DeploymentFacts['activeKey'];
  try {
    const keys = await readKeys(keysDir, displayPath(keysDir, io.cwd));
    const key = keys.keys.find((k) => k.id === keys.activeKeyId)!;
    activeKey = { id: key.id, publicKeyPem: key.publicKeyPem, file: displayPath(path.join(keysDir, `${key.id}.pem`), io.cwd) };
  } catch {
    activeKey = undefined;
  }
  const repository = await originForTrees(root);
  return { ...(repository ? { repository } : {}), ...(activeKey ? { activeKey } : {}) };
}
