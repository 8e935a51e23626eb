/**
 * How the bundle server tells each cluster's sidecars apart: the issuer of the cluster's
 * ServiceAccount tokens and where its keys come from (the spec's `tokenJwksUrl`, or the key set
 * the organisation committed as `keys/jwks/<cluster>.json`, handed to the server in its
 * ConfigMap). A cluster with agents and neither cannot authenticate its sidecars: the server
 * refuses them, their OPA never activates a bundle and the agents never become Ready.
 */
import type { ClusterIssuer } from '../contract/index.js';
import type { ClusterPlan, Topology } from './topology.js';

/** The ConfigMap key (and, mounted beside config.yaml, the file name) of a committed key set. */
export const jwksFileName = (cluster: string) => `jwks-${cluster}.json`;

/** The in-cluster name of a cluster's own API server, the kubernetes Service in default. */
const IN_CLUSTER_HOSTS = new Set(['kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'kubernetes.default', 'kubernetes']);

/** Whether a key-set URL is the API server of the cluster the caller runs in (which answers only authenticated callers). */
export const isInClusterIssuer = (url: string | undefined) => url !== undefined && IN_CLUSTER_HOSTS.has(new URL(url).hostname);

/** Where the owner's bundle server finds its own ServiceAccount token and the cluster CA for an in-cluster key set. */
export const JWKS_CREDENTIALS_DIR = '/var/run/secrets/custody/jwks';
export const JWKS_TOKEN_FILE = `${JWKS_CREDENTIALS_DIR}/token`;
export const JWKS_CA_FILE = `${JWKS_CREDENTIALS_DIR}/ca.crt`;

/** The server's issuer entry for a cluster, or undefined when the spec and keys/ give no way to verify its tokens. */
/** `serverCluster`: where the server that uses the entry runs; an in-cluster URL is only its own API server. */
export function clusterIssuer(c: ClusterPlan, committed: ReadonlySet<string>, serverCluster?: string): ClusterIssuer | undefined {
  const issuer = c.settings.tokenIssuer;
  if (!issuer) return undefined;
  if (c.settings.tokenJwksUrl) {
    // The server's own cluster: fetched with its ServiceAccount's projected token, trusting the cluster CA.
    const own = isInClusterIssuer(c.settings.tokenJwksUrl) && c.name === serverCluster;
    return { cluster: c.name, issuer, jwksUrl: c.settings.tokenJwksUrl, ...(own ? { jwksTokenFile: JWKS_TOKEN_FILE, jwksCaFile: JWKS_CA_FILE } : {}) };
  }
  // Relative: the server resolves it beside its configuration file, where the ConfigMap mounts it.
  if (committed.has(c.name)) return { cluster: c.name, issuer, jwksFile: jwksFileName(c.name) };
  return undefined;
}

export interface SidecarAuthGap {
  readonly workflow: string;
  readonly cluster: string;
  /** What the cluster lacks. */
  readonly missing: 'issuer' | 'keys';
}

/** Per workflow, each cluster hosting some of its agents whose sidecars the server could not authenticate. */
export function missingSidecarAuth(topo: Topology, committed: ReadonlySet<string>): SidecarAuthGap[] {
  const out: SidecarAuthGap[] = [];
  for (const c of topo.clusters) {
    if (clusterIssuer(c, committed)) continue;
    for (const p of c.placements) out.push({ workflow: p.workflow.name, cluster: c.name, missing: c.settings.tokenIssuer ? 'keys' : 'issuer' });
  }
  return out.sort((a, b) => (a.workflow !== b.workflow ? (a.workflow < b.workflow ? -1 : 1) : a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
}
