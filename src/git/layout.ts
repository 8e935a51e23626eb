/** Which files of a repository are the inputs of the generated trees (the folder names are the contract's). */
import { isKeyInput, isWorkflowInput, KEY_SUBFOLDERS, KEYS_DIR, WORKFLOWS_DIR } from '../contract/index.js';

/** The files of a folder that are inputs of the generated trees. */
export interface InputSelection {
  readonly root: string;
  /**
   * Which paths relative to `root` are inputs (others, such as a README, are not Custody's). The
   * whole rule: a nested path is an input only when this says so.
   */
  readonly select: (rel: string) => boolean;
  /** The subfolders (one level, relative to `root`) that hold inputs too: only these are read below the top. */
  readonly folders?: readonly string[];
}

/**
 * What the trees are rendered from: the specs, and the trust material of `keys/` (bundle
 * verification keys at the top, the meshes' roots and the clusters' token keys in subfolders).
 */
export const INPUTS: readonly InputSelection[] = [
  { root: WORKFLOWS_DIR, select: isWorkflowInput },
  { root: KEYS_DIR, select: isKeyInput, folders: KEY_SUBFOLDERS },
];
