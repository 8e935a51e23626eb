/**
 * `generated/`: every object each cluster runs, laid out by cluster (what a reconciler syncs), then
 * by workflow (one namespace, one Argo CD Application), then by agent; one object per file, each
 * folder a kustomization. Pure: workflows and keys in, a tree of file contents out.
 */
import { GENERATED_DIR, SYSTEM_NAMESPACE } from '../contract/index.js';
import type { VerificationKey } from '../keys/index.js';
import { parsePathPattern, type Workflow } from '../workflow/index.js';
import { EXT_AUTHZ_HOST, LABEL } from './constants.js';
import { EAST_WEST_NAME, EAST_WEST_NAMESPACE, eastWestReceiver, remoteServiceEntry } from './east-west.js';
import { agentSidecar, defaultSidecar, denyAll, externalServiceEntry, flowAllow, istioPaths, opaExtAuthz, opaServiceEntry, strictMtls } from './mesh.js';
import { istiodValues, type PeerRoot } from './mesh-config.js';
import { namespace } from './namespace.js';
import { ISTIOD_VALUES_FILE } from './constants.js';
import { handover, HANDOVER_FILE } from './handover.js';
import { agentPolicy, defaultDeny, infrastructure, type Peer } from './network.js';
import { workflowLabels, type KubeObject, type Placed } from './objects.js';
import { application, eastWestProject, fluxKustomization, gitRepository, systemProject, workflowProject } from './reconcilers.js';
import { ownerService, remoteServers } from './server-route.js';
import { serverObjects } from './system.js';
import { boundedName, topology, workflowBundleRoute, workflowIndex, type ClusterPlan, type Placement, type Topology } from './topology.js';
import { agentLabels, dataClaim, deployment, opaConfigMap, opaConfigText, service, serviceAccount, type AgentContext } from './workload.js';
import { toYaml } from './yaml.js';

export interface ManifestInputs {
  /** Every verification key of `keys/`, sorted by id: all are listed in each sidecar's configuration. */
  readonly keys: readonly VerificationKey[];
  /** The key sidecars require (`signing.keyid`) and ask the server to sign with. */
  readonly activeKeyId: string;
  /** Custody's version: the bundle server's image tag. */
  readonly version: string;
  /** The mesh root certificates of `keys/roots/`, by cluster. */
  readonly roots?: ReadonlyMap<string, PeerRoot>;
  /** The clusters' ServiceAccount token key sets of `keys/jwks/`, by cluster. */
  readonly jwks?: ReadonlyMap<string, { readonly json: string }>;
  /** The repository of clusters whose spec names none: the clone's origin, read at the edge (absent: the examples'). */
  readonly repository?: string;
}

/** A folder's `kustomization.yaml`: its files and sub-folders, sorted. */
export interface KustomizationFile {
  readonly apiVersion: 'kustomize.config.k8s.io/v1beta1';
  readonly kind: 'Kustomization';
  readonly resources: readonly string[];
}

/** Every file of `generated/` (path relative to it) with what it holds. */
export type ManifestFiles = Map<string, KubeObject | KustomizationFile>;

export function manifestFiles(workflows: readonly Workflow[], inputs: ManifestInputs): ManifestFiles {
  if (!inputs.keys.some((k) => k.id === inputs.activeKeyId)) throw new Error(`internal: active key ${inputs.activeKeyId} is not among the keys`);
  const topo = topology(workflows, inputs.repository ? { repository: inputs.repository } : {});
  const files: ManifestFiles = new Map();
  const systems = new Map(topo.clusters.map((c) => [c.name, systemFolder(topo, c, inputs)]));
  const folder = (dir: string, placed: readonly Placed[]) => {
    for (const p of placed) files.set(`${dir}/${p.file}`, p.object);
    files.set(`${dir}/kustomization.yaml`, kustomization(placed.map((p) => p.file)));
  };
  for (const cluster of topo.clusters) {
    const root = `clusters/${cluster.name}`;
    const folders: string[] = [];
    for (const placement of cluster.placements) {
      folder(`${root}/${placement.workflow.name}`, workflowObjects(topo, cluster, placement, inputs));
      folders.push(placement.workflow.name);
    }
    const system = systems.get(cluster.name)!;
    if (system.length) {
      folder(`${root}/${SYSTEM_NAMESPACE}`, system);
      folders.push(SYSTEM_NAMESPACE);
    }
    const eastWest = eastWestReceiver(topo, cluster);
    if (eastWest.length) {
      folder(`${root}/${EAST_WEST_NAMESPACE}`, eastWest);
      folders.push(EAST_WEST_NAMESPACE);
    }
    files.set(`${root}/kustomization.yaml`, kustomization(folders));

    // Each cluster's own Argo CD applies its own copy of the projects: they name only this
    // cluster's destination and repository, nothing of the other organisations' clusters.
    const argo: Placed[] = [];
    for (const placement of cluster.placements) {
      const w = placement.workflow;
      argo.push({ file: `appproject-${w.name}.yaml`, object: workflowProject(w, [cluster]) });
      argo.push({ file: `application-${w.name}.yaml`, object: application(cluster, w.name, w.name) });
    }
    if (system.length) {
      argo.push({ file: `appproject-${SYSTEM_NAMESPACE}.yaml`, object: systemProject([cluster]) });
      argo.push({ file: `application-${SYSTEM_NAMESPACE}.yaml`, object: application(cluster, SYSTEM_NAMESPACE, SYSTEM_NAMESPACE) });
    }
    if (eastWest.length) {
      argo.push({ file: `appproject-${EAST_WEST_NAME}.yaml`, object: eastWestProject([cluster]) });
      argo.push({ file: `application-${EAST_WEST_NAME}.yaml`, object: application(cluster, EAST_WEST_NAMESPACE, EAST_WEST_NAME) });
    }
    folder(`argocd/${cluster.name}`, argo);
    folder(`flux/${cluster.name}`, [
      { file: 'gitrepository.yaml', object: gitRepository(cluster) },
      { file: 'flux-kustomization.yaml', object: fluxKustomization(cluster) },
    ]);
  }
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The tree `custody generate` writes under `generated/`. */
export function renderManifests(workflows: readonly Workflow[], inputs: ManifestInputs): { root: string; files: Map<string, string> } {
  const files = new Map<string, string>();
  for (const [path, value] of manifestFiles(workflows, inputs)) files.set(path, toYaml(value));
  // Beside each cluster's tree, not in its kustomization: the page its organisation receives.
  const topo = topology(workflows, inputs.repository ? { repository: inputs.repository } : {});
  const prereq = { roots: inputs.roots ?? new Map(), jwks: new Set((inputs.jwks ?? new Map()).keys()), activeKeyId: inputs.activeKeyId };
  for (const cluster of topo.clusters) {
    files.set(`clusters/${cluster.name}/${ISTIOD_VALUES_FILE}`, istiodValues(topo, cluster, prereq.roots));
    files.set(`clusters/${cluster.name}/${HANDOVER_FILE}`, handover(topo, cluster, prereq));
  }
  return { root: GENERATED_DIR, files: new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
}

function kustomization(resources: readonly string[]): KustomizationFile {
  return { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [...resources].sort() };
}

function systemFolder(topo: Topology, cluster: ClusterPlan, inputs: ManifestInputs): Placed[] {
  const remote = remoteServers(topo, cluster);
  if (cluster.served.length > 0)
    return [
      ...serverObjects({ cluster, topology: topo, activeKeyId: inputs.activeKeyId, version: inputs.version, jwks: inputs.jwks ?? new Map() }),
      ...ownerService(topo, cluster),
      ...remote,
    ];
  if (cluster.bundleServer.kind === 'mesh' && cluster.placements.length > 0)
    return [{ file: 'namespace.yaml', object: namespace(SYSTEM_NAMESPACE, cluster.settings.istioCni, { [LABEL.partOf]: 'custody' }) }, ...remote];
  return [];
}

function workflowObjects(topo: Topology, cluster: ClusterPlan, placement: Placement, inputs: ManifestInputs): Placed[] {
  const w = placement.workflow;
  const ns = w.name;
  const labels = { ...workflowLabels(w.name), [LABEL.cluster]: cluster.name };
  const out: Placed[] = [];
  const put = (file: string, object: KubeObject) => out.push({ file, object });
  const route = workflowBundleRoute(topo, cluster, w);
  const bundleHost = route.kind === 'mesh' ? `${SYSTEM_NAMESPACE}/${route.host}` : `./${route.host}`;

  put('namespace.yaml', namespace(ns, cluster.settings.istioCni, labels));
  put('peerauthentication-default.yaml', strictMtls(ns, labels));
  put('authorizationpolicy-deny-all.yaml', denyAll(ns, labels));
  put('authorizationpolicy-opa-ext-authz.yaml', opaExtAuthz(ns, labels));
  put('serviceentry-opa-ext-authz-grpc.yaml', opaServiceEntry(ns, labels));
  put('sidecar-default.yaml', defaultSidecar(ns, labels));
  put('networkpolicy-default-deny.yaml', defaultDeny(ns, labels));
  put('networkpolicy-allow-mesh-and-bundle-server.yaml', infrastructure(ns, route, labels));
  if (route.kind === 'external')
    put('serviceentry-custody-bundle-server.yaml', externalServiceEntry('custody-bundle-server', ns, route.host, route.port, route.tls, labels));

  const index = workflowIndex(w);
  const here = (agent: string) => topo.clusterOf(w, agent) === cluster.name;
  const port = (agent: string) => index.agent(agent).port;
  const remote = new Map<string, string>();
  for (const agent of placement.agents) {
    const dir = agent.name;
    const c: AgentContext = {
      workflow: w,
      agent,
      cluster: cluster.name,
      storageClass: cluster.settings.storageClass,
      opaImage: cluster.settings.opaImage,
      bundleServerUrl: route.url,
      keys: inputs.keys,
      activeKeyId: inputs.activeKeyId,
      labels: agentLabels(w, agent, cluster.name),
    };
    const config = opaConfigText(c);
    put(`${dir}/serviceaccount.yaml`, serviceAccount(c));
    put(`${dir}/service.yaml`, service(c));
    put(`${dir}/persistentvolumeclaim.yaml`, dataClaim(c));
    put(`${dir}/configmap-opa.yaml`, opaConfigMap(c, config));
    put(`${dir}/deployment.yaml`, deployment(c, config));

    const outbound = index.outbound(agent.name);
    const targets = [...new Set(outbound.map((f) => f.to))].sort();
    for (const t of targets) if (!here(t)) remote.set(t, topo.clusterOf(w, t));
    put(
      `${dir}/sidecar.yaml`,
      agentSidecar(ns, agent.name, [...targets.map((t) => `./${t}.${ns}.svc.cluster.local`), bundleHost, `./${EXT_AUTHZ_HOST}`], c.labels),
    );

    const inbound = index.inbound(agent.name);
    const perSender = new Map<string, number>();
    for (const flow of inbound) {
      const n = (perSender.get(flow.from) ?? 0) + 1;
      perSender.set(flow.from, n);
      const name = n === 1 ? boundedName('allow', flow.from, 'to', agent.name) : boundedName('allow', flow.from, 'to', agent.name, String(n));
      put(
        `${dir}/authorizationpolicy-${name}.yaml`,
        flowAllow(
          name,
          ns,
          agent.name,
          agent.port,
          {
            principals: [index.principal(flow.from)],
            methods: flow.methods,
            paths: istioPaths(parsePathPattern(flow.path)),
          },
          c.labels,
        ),
      );
    }
    const senders: Peer[] = [...new Set(inbound.map((f) => f.from))].sort().map((s) => ({ agent: s, port: agent.port, local: here(s) }));
    const receivers: Peer[] = targets.map((t) => {
      const gateway = here(t) ? undefined : topo.cluster(topo.clusterOf(w, t)).settings.eastWestGateway;
      return { agent: t, port: port(t), local: here(t), ...(gateway ? { gateway } : {}) };
    });
    if (senders.length || receivers.length) put(`${dir}/networkpolicy.yaml`, agentPolicy(ns, agent.name, agent.port, senders, receivers, c.labels));
  }
  // An agent of another cluster is reachable only once its organisation has published its
  // gateway's address (check warns no-east-west-gateway until then).
  for (const [agent, where] of [...remote.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const peer = topo.cluster(where);
    if (peer.settings.eastWestGateway) put(`remote/serviceentry-${agent}.yaml`, remoteServiceEntry(w, agent, peer, peer.settings.eastWestGateway, labels));
  }
  return out;
}
