/**
 * What an OPA sidecar and the bundle server agree on: where an agent's bundle is, the header
 * naming the key the sidecar trusts, and the audience of the token it presents. The sidecar's
 * configuration (policy/) writes them, the server (server/) reads them, and the mesh's
 * authorization policy (manifests/) lets exactly these requests through.
 */

/** Where the owner's bundle server runs in its cluster: the namespace and the name of its Service. */
export const SYSTEM_NAMESPACE = 'custody-system';
export const SERVER_NAME = 'custody-bundle-server';
/** The bundle server listens on plain HTTP inside the pod; the mesh carries it over mutual TLS. */
export const SERVER_PORT = 8080;
export const SERVER_HOST = `${SERVER_NAME}.${SYSTEM_NAMESPACE}.svc.cluster.local`;
/** The server as the sidecars reach it through the mesh: the only URL at that host that answers. */
export const MESH_SERVER_URL = `http://${SERVER_HOST}:${SERVER_PORT}`;

/** The URL path under which every bundle is served. */
export const BUNDLES_URL_PREFIX = '/bundles/';

/** The bundle of one agent, relative to the server's URL: OPA's `bundles.<name>.resource`. */
export function bundleResource(workflow: string, agent: string): string {
  return `${BUNDLES_URL_PREFIX.slice(1)}${workflow}/${agent}.tar.gz`;
}

// Both names are DNS-1123 labels (namespaces, Kubernetes names), so nothing else, such as `..`, matches.
const NAME = '([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)';
const BUNDLE_PATH = new RegExp(`^${BUNDLES_URL_PREFIX}${NAME}/${NAME}\\.tar\\.gz$`);

/** The workflow and agent of a bundle URL path (without the query), or undefined if it names none. */
export function parseBundlePath(pathname: string): { workflow: string; agent: string } | undefined {
  const m = BUNDLE_PATH.exec(pathname);
  return m ? { workflow: m[1]!, agent: m[2]! } : undefined;
}

/** The request header naming the key a sidecar trusts, so that rotation can be gradual. */
export const KEY_ID_HEADER = 'X-Custody-Key-Id';

/** The audience of the projected ServiceAccount token a sidecar presents, which the server requires. */
export const TOKEN_AUDIENCE = 'custody-bundle-server';

/**
 * The OPA label (`labels` in a sidecar's configuration, sent with every status report and
 * decision log) that marks a sidecar started by `custody verify`: the server leaves its reports
 * out of the rollout view and the denials, so a check never looks like a deployed agent.
 */
export const VERIFY_LABEL = 'custody-verify';
