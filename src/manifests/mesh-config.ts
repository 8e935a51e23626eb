/**
 * Each cluster's Istio mesh configuration, as Helm values of Istio's `istiod` chart (`meshConfig:`):
 * its own trust domain, each peer organisation's root certificate bound to that peer's trust
 * domain, and the extension provider of the pod-local OPA. Written beside the cluster's tree, not
 * applied by Argo CD or Flux: the mesh is installed by the cluster's administrator.
 */
import { EXT_AUTHZ_HOST, EXT_AUTHZ_PORT, EXT_AUTHZ_PROVIDER, EXT_AUTHZ_TIMEOUT, GENERATED_HEADER, ISTIOD_VALUES_FILE, ROOTS_DIR } from './constants.js';
import { crossClusterFlows } from './east-west.js';
import { workflowBundleRoute, type ClusterPlan, type Topology } from './topology.js';
import { toYamlText } from './yaml.js';

/** A committed root certificate, as the renderer needs it (read and checked at the edge). */
export interface PeerRoot {
  readonly pem: string;
  /** SHA-256, colon-separated hex. */
  readonly fingerprint: string;
}

export interface MeshPeer {
  readonly cluster: string;
  readonly trustDomain: string;
  /** Absent: no `keys/roots/<cluster>.pem` committed, a gap in the configuration. */
  readonly root?: PeerRoot;
}

/**
 * The clusters this cluster's mesh must accept certificates from, and no others: those of the
 * agents that send to or receive from an agent here, the owner's cluster (its bundle server)
 * where the sidecars reach it through the mesh, and, in the owner's cluster, every cluster whose
 * sidecars fetch bundles from it.
 */
export function meshPeers(topo: Topology, cluster: ClusterPlan, roots: ReadonlyMap<string, PeerRoot>): MeshPeer[] {
  const names = new Set<string>();
  for (const p of cluster.placements) {
    const w = p.workflow;
    const here = new Set(p.agents.map((a) => a.name));
    for (const f of w.flows) {
      if (here.has(f.to)) names.add(topo.clusterOf(w, f.from));
      if (here.has(f.from)) names.add(topo.clusterOf(w, f.to));
    }
    if (cluster.bundleServer.kind === 'mesh') names.add(topo.clusterOf(w, w.agents.find((a) => a.actor === w.owner)!.name));
  }
  for (const w of cluster.served) for (const a of w.agents) names.add(topo.clusterOf(w, a.name));
  names.delete(cluster.name);
  return [...names].sort().map((name) => {
    const root = roots.get(name);
    return { cluster: name, trustDomain: topo.cluster(name).settings.trustDomain, ...(root ? { root } : {}) };
  });
}

/** The values file's text: the `meshConfig` block, headed by how to use it and what is missing. */
export function istiodValues(topo: Topology, cluster: ClusterPlan, roots: ReadonlyMap<string, PeerRoot>): string {
  const peers = meshPeers(topo, cluster, roots);
  const bound = peers.filter((p) => p.root);
  const gaps = peers.filter((p) => !p.root);
  // Names resolved only by a ServiceEntry (a remote agent, or the owner's bundle server fetched
  // through the mesh) need the sidecar's DNS proxy.
  const fetchesRemotely = cluster.placements.some((p) => {
    const r = workflowBundleRoute(topo, cluster, p.workflow);
    return r.kind === 'mesh' && !r.local;
  });
  const sends = fetchesRemotely || cluster.placements.some((p) => crossClusterFlows(topo, p.workflow).some((c) => c.from === cluster.name));
  const values = {
    // The network names this cluster's pods (and its east-west gateway's label): distinct per
    // organisation, so that no peer's istiod takes our pods for directly reachable ones.
    global: { network: cluster.settings.network },
    meshConfig: {
      trustDomain: cluster.settings.trustDomain,
      // An agent of another cluster is a ServiceEntry host, unknown to the cluster's DNS: the
      // sidecar's DNS proxy answers for it with an address it allocates, so the application
      // resolves the name (docs/gitops.md, "Cross-organisation traffic").
      ...(sends ? { defaultConfig: { proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true', ISTIO_META_DNS_AUTO_ALLOCATE: 'true' } } } : {}),
      ...(bound.length ? { caCertificates: bound.map((p) => ({ pem: p.root!.pem, trustDomains: [p.trustDomain] })) } : {}),
      extensionProviders: [
        {
          name: EXT_AUTHZ_PROVIDER,
          envoyExtAuthzGrpc: { service: EXT_AUTHZ_HOST, port: EXT_AUTHZ_PORT, timeout: EXT_AUTHZ_TIMEOUT, failOpen: false, statusOnError: '403' },
        },
      ],
    },
  };
  const lines = [
    `# ${GENERATED_HEADER}`,
    '#',
    `# Helm values of Istio's istiod chart for cluster ${cluster.name}: the mesh configuration the`,
    '# objects of this tree rely on. Not applied by Argo CD or Flux; the administrator installs with',
    `#   helm upgrade --install istiod istio/istiod -n istio-system -f ${ISTIOD_VALUES_FILE} -f <own values>`,
    '# (with an IstioOperator, the same block goes under spec.meshConfig). See docs/gitops.md.',
    '#',
    "# Each peer root is listed with its organisation's trust domain, which makes istiod accept that",
    '# domain in certificates; istiod still merges every root into one bundle, so a root is not',
    '# confined to its domain. Exact principals in every AuthorizationPolicy and OPA bundle stop a',
    "# peer's administrator from passing as another organisation's agent through a ServiceAccount of",
    '# the same name; what they cannot stop is in docs/gitops.md, "Trust between organisations".',
  ];
  for (const p of bound) lines.push(`# Root of ${p.cluster} (trust domain ${p.trustDomain}): SHA-256 ${p.root!.fingerprint}`);
  for (const p of gaps) {
    lines.push(`# GAP: no root certificate for peer cluster ${p.cluster} (trust domain ${p.trustDomain}): commit its`);
    lines.push(`#   mesh's root as ${ROOTS_DIR}/${p.cluster}.pem and generate again; until then this cluster`);
    lines.push(`#   rejects the certificates of ${p.cluster}'s agents, and their requests fail.`);
  }
  return `${lines.join('\n')}\n\n${toYamlText(values)}`;
}

/**
 * Per workflow, each of its clusters whose root is not committed although other clusters of the
 * workflow must trust it: `check` and `generate` warn (a workflow may be reviewed before every
 * organisation has published its root).
 */
export function missingPeerRoots(topo: Topology, committed: ReadonlySet<string>): { workflow: string; cluster: string; trustedBy: string[] }[] {
  const out: { workflow: string; cluster: string; trustedBy: string[] }[] = [];
  const none = new Map<string, PeerRoot>();
  const byWorkflow = new Map<string, Map<string, Set<string>>>();
  for (const c of topo.clusters) {
    const peers = new Set(meshPeers(topo, c, none).map((p) => p.cluster));
    for (const w of new Set([...c.placements.map((p) => p.workflow.name), ...c.served.map((s) => s.name)])) {
      const clusters = byWorkflow.get(w) ?? new Map<string, Set<string>>();
      byWorkflow.set(w, clusters);
      for (const peer of peers) {
        if (committed.has(peer) || !topo.cluster(peer).placements.some((p) => p.workflow.name === w)) continue;
        clusters.set(peer, (clusters.get(peer) ?? new Set()).add(c.name));
      }
    }
  }
  for (const [workflow, clusters] of [...byWorkflow].sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const [cluster, by] of [...clusters].sort(([a], [b]) => (a < b ? -1 : 1))) out.push({ workflow, cluster, trustedBy: [...by].sort() });
  }
  return out;
}
