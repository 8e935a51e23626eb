/**
 * The folders of a Custody repository. Every part finds its inputs and outputs by these names:
 * `generate` writes the trees, the bundle server reads `bundles/` from Git, the pull-request
 * summary compares them, and a reconciler applies `generated/clusters/<cluster>/`.
 */

/** The workflow specs: top-level `*.yaml`/`*.yml`. */
export const WORKFLOWS_DIR = 'workflows';
/**
 * The trust material: the bundle verification keys (`keys/<key-id>.pem`, `keys/active`), the
 * peer meshes' roots (`keys/roots/<cluster>.pem`) and the clusters' token keys (`keys/jwks/<cluster>.json`).
 */
export const KEYS_DIR = 'keys';
/** `bundles/<workflow>/<agent>/`: each agent's OPA bundle directory. */
export const BUNDLES_DIR = 'bundles';
/** The Kubernetes manifests, per cluster and per reconciler. */
export const GENERATED_DIR = 'generated';
/** The folders Custody owns and rewrites whole: the generated trees. */
export const GENERATED_ROOTS = [BUNDLES_DIR, GENERATED_DIR] as const;

export const isWorkflowFile = (name: string) => /\.ya?ml$/.test(name);
/** Whether a path relative to `workflows/` is a spec: a top-level `*.yaml`/`*.yml` (subfolders are not read). */
export const isWorkflowInput = (rel: string) => !rel.includes('/') && isWorkflowFile(rel);
/** Other files under `keys/` (a README) are the owner's, not inputs. */
export const isKeyFile = (name: string) => name.endsWith('.pem') || name === 'active';
/** Under `keys/`: the root certificate each organisation publishes for its cluster's mesh, `<cluster>.pem`. */
export const KEY_ROOTS_DIR = 'roots';
/** Under `keys/`: each cluster's ServiceAccount token key set, `<cluster>.json`. */
export const KEY_JWKS_DIR = 'jwks';
/**
 * The folders under `keys/` whose files (but a README) are all inputs: a misnamed file there is
 * read and refused with what to do, not skipped, so a typo cannot silently drop a root.
 */
export const KEY_SUBFOLDERS: readonly string[] = [KEY_ROOTS_DIR, KEY_JWKS_DIR];
/**
 * Whether a path relative to `keys/` is an input of the generated trees. The one list that
 * `generate` (reading the working tree) and the checks reading a commit both use, so they cannot
 * disagree on whether `generated/` is stale.
 */
export function isKeyInput(rel: string): boolean {
  const parts = rel.split('/');
  if (parts.length === 1) return isKeyFile(rel);
  return parts.length === 2 && KEY_SUBFOLDERS.includes(parts[0]!) && parts[1] !== '' && parts[1] !== 'README.md';
}
