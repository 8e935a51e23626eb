/** Which files of a repository are the inputs of the generated trees (the folder names are the contract's). */
import { isKeyFile, isWorkflowFile, KEYS_DIR, WORKFLOWS_DIR } from '../contract/index.js';

/** The top-level files of a folder that are inputs of the generated trees. */
export interface InputSelection {
  readonly root: string;
  /** Which names in the folder are inputs (others, such as a README, are not Custody's). */
  readonly select: (name: string) => boolean;
}

/** What the trees are rendered from: the specs, and the bundle verification keys (`keys/`). */
export const INPUTS: readonly InputSelection[] = [
  { root: WORKFLOWS_DIR, select: isWorkflowFile },
  { root: KEYS_DIR, select: isKeyFile },
];
