/**
 * The folders of a Custody repository. Every part finds its inputs and outputs by these names:
 * `generate` writes the trees, the bundle server reads `bundles/` from Git, the pull-request
 * summary compares them, and a reconciler applies `generated/clusters/<cluster>/`.
 */

/** The workflow specs: top-level `*.yaml`/`*.yml`. */
export const WORKFLOWS_DIR = 'workflows';
/** The bundle verification keys: `keys/<key-id>.pem` and `keys/active`. */
export const KEYS_DIR = 'keys';
/** `bundles/<workflow>/<agent>/`: each agent's OPA bundle directory. */
export const BUNDLES_DIR = 'bundles';
/** The Kubernetes manifests, per cluster and per reconciler. */
export const GENERATED_DIR = 'generated';
/** The folders Custody owns and rewrites whole: the generated trees. */
export const GENERATED_ROOTS = [BUNDLES_DIR, GENERATED_DIR] as const;

export const isWorkflowFile = (name: string) => /\.ya?ml$/.test(name);
/** Other files under `keys/` (a README) are the owner's, not inputs. */
export const isKeyFile = (name: string) => name.endsWith('.pem') || name === 'active';
