// contract: moves to src/contract/
/**
 * Where Custody's files live in a repository: the folders it reads (the specs, the keys) and the
 * folders it owns (the generated trees). Every part that reads or commits them names them here.
 */

/** The folders whose files the summary compares (its generated trees). */
export const GENERATED_ROOTS = ['bundles', 'generated'] as const;
/** Where the specs live: top-level `*.yaml`/`*.yml`, as `custody check` reads them. */
export const WORKFLOWS_DIR = 'workflows';
export const isWorkflowFile = (name: string) => /\.ya?ml$/.test(name);
/** The bundle verification keys: `keys/<id>.pem` and `keys/active`. */
export const KEYS_DIR = 'keys';
export const isKeyFile = (name: string) => name.endsWith('.pem') || name === 'active';

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
