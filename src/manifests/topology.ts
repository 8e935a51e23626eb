/**
 * Where everything runs: for every cluster named in any workflow, its settings (explicit values
 * from the specs, which the checker made agree, else the defaults), the agents of each workflow
 * placed there, and whether it runs the bundle server (it is the owner's cluster of a workflow).
 */
import { createHash } from 'node:crypto';
import {
  addressKind,
  CLUSTER_DEFAULTS,
  CLUSTER_SETTINGS,
  EAST_WEST_DEFAULTS,
  type AddressKind,
  type Agent,
  type EastWestGateway,
  type Flow,
  type Workflow,
} from '../workflow/index.js';
import { SERVER_HOST, SERVER_NAME, SYSTEM_NAMESPACE } from '../contract/index.js';
import { OPA_IMAGE } from './constants.js';

export interface ClusterSettings {
  /** The SPIFFE trust domain of the cluster's mesh (every loaded workflow gives one, and they agree). */
  readonly trustDomain: string;
  readonly storageClass: string;
  readonly istioCni: boolean;
  readonly bundleServer: string;
  readonly repository: string;
  readonly branch: string;
  readonly server?: string;
  readonly region?: string;
  readonly tokenIssuer?: string;
  readonly tokenJwksUrl?: string;
  /** Where the bundle server reaches its own cluster's API server, for an in-cluster tokenJwksUrl (NetworkPolicy egress). */
  readonly apiServerPort: number;
  readonly apiServerCidr: string;
  /** The sidecars' OPA image (default {@link OPA_IMAGE}). */
  readonly opaImage: string;
  /** The bundle server's image, when the spec chooses one; else the release of this package (rendered with the version). */
  readonly serverImage?: string;
  /** Argo CD's name for the destination cluster (used unless `server` is set). */
  readonly argocdDestination: string;
  readonly fluxServiceAccount?: string;
  readonly fluxDependsOn?: readonly string[];
  /** The cluster's Istio network (`topology.istio.io/network`): the spec's, else the cluster's name. */
  readonly network: string;
  /** Where other clusters reach its east-west gateway, when its organisation has published it. */
  readonly eastWestGateway?: GatewayAddress;
}

/** A peer's east-west gateway, resolved: the address, its kind, the port. */
export interface GatewayAddress {
  readonly address: string;
  readonly kind: AddressKind;
  readonly port: number;
}

/** How a cluster's sidecars reach their bundle server. */
export type BundleServerRoute =
  /**
   * The owner's server through the mesh: in this cluster, or in another through its east-west
   * gateway. `host` is the name the sidecars fetch from (the server's own, or the per-owner host
   * at the owner's published `gateway`: {@link workflowBundleRoute}).
   */
  | { readonly kind: 'mesh'; readonly local: boolean; readonly url: string; readonly host: string; readonly gateway?: GatewayAddress }
  /** Any other URL: a host outside the mesh. */
  | { readonly kind: 'external'; readonly url: string; readonly host: string; readonly port: number; readonly tls: boolean };

export interface Placement {
  readonly workflow: Workflow;
  readonly cluster: string;
  /** The workflow's agents in this cluster, by name. */
  readonly agents: readonly Agent[];
}

export interface ClusterPlan {
  readonly name: string;
  readonly settings: ClusterSettings;
  readonly bundleServer: BundleServerRoute;
  /** By workflow name. */
  readonly placements: readonly Placement[];
  /** Workflows whose owner deploys here: this cluster runs the bundle server for them. */
  readonly served: readonly Workflow[];
}

export interface Topology {
  /** By name. */
  readonly clusters: readonly ClusterPlan[];
  clusterOf(workflow: Workflow, agent: string): string;
  cluster(name: string): ClusterPlan;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** What the specs may leave out and the caller knows: the repository of clusters that name none. */
export interface TopologyDefaults {
  /** The clone's origin (read at the edge, https or ssh only); absent: {@link CLUSTER_DEFAULTS.repository}. */
  readonly repository?: string;
}

export function topology(workflows: readonly Workflow[], defaults: TopologyDefaults = {}): Topology {
  const explicit = new Map<string, Record<string, unknown>>();
  const agentCluster = new Map<string, string>();
  const placements = new Map<string, Map<string, Agent[]>>();
  const served = new Map<string, Workflow[]>();
  for (const workflow of [...workflows].sort(byName)) {
    for (const actor of workflow.actors) {
      const c = actor.cluster;
      const given = explicit.get(c.name) ?? {};
      for (const field of CLUSTER_SETTINGS) if (given[field] === undefined && c[field] !== undefined) given[field] = c[field];
      explicit.set(c.name, given);
      const perWorkflow = placements.get(c.name) ?? new Map<string, Agent[]>();
      placements.set(c.name, perWorkflow);
      const list = perWorkflow.get(workflow.name) ?? [];
      perWorkflow.set(workflow.name, list);
      for (const name of actor.agents) {
        agentCluster.set(`${workflow.name}/${name}`, c.name);
        list.push(workflowIndex(workflow).agent(name));
      }
      if (actor.name === workflow.owner) served.set(c.name, [...(served.get(c.name) ?? []), workflow]);
    }
  }
  const byWorkflow = new Map(workflows.map((w) => [w.name, w]));
  const clusters: ClusterPlan[] = [...explicit.keys()].sort().map((name) => {
    const given = explicit.get(name)!;
    const settings: ClusterSettings = {
      trustDomain: given.trustDomain as string,
      storageClass: (given.storageClass as string | undefined) ?? CLUSTER_DEFAULTS.storageClass,
      istioCni: (given.istioCni as boolean | undefined) ?? CLUSTER_DEFAULTS.istioCni,
      bundleServer: (given.bundleServer as string | undefined) ?? CLUSTER_DEFAULTS.bundleServer,
      repository: (given.repository as string | undefined) ?? defaults.repository ?? CLUSTER_DEFAULTS.repository,
      branch: (given.branch as string | undefined) ?? CLUSTER_DEFAULTS.branch,
      opaImage: (given.opaImage as string | undefined) ?? OPA_IMAGE,
      apiServerPort: (given.apiServerPort as number | undefined) ?? CLUSTER_DEFAULTS.apiServerPort,
      apiServerCidr: (given.apiServerCidr as string | undefined) ?? CLUSTER_DEFAULTS.apiServerCidr,
      argocdDestination: (given.argocdDestination as string | undefined) ?? CLUSTER_DEFAULTS.argocdDestination,
      ...pick(given, ['server', 'region', 'tokenIssuer', 'tokenJwksUrl', 'serverImage', 'fluxServiceAccount']),
      ...(Array.isArray(given.fluxDependsOn) ? { fluxDependsOn: given.fluxDependsOn as string[] } : {}),
      network: (given.eastWestGateway as EastWestGateway | undefined)?.network ?? name,
      ...gatewayAddress(given.eastWestGateway as EastWestGateway | undefined),
    };
    const runsServer = served.has(name);
    return {
      name,
      settings,
      bundleServer: route(settings.bundleServer, runsServer),
      placements: [...placements.get(name)!.entries()]
        .filter(([, agents]) => agents.length > 0)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([wf, agents]) => ({ workflow: byWorkflow.get(wf)!, cluster: name, agents: [...agents].sort(byName) })),
      served: [...(served.get(name) ?? [])].sort(byName),
    };
  });
  const plans = new Map(clusters.map((c) => [c.name, c]));
  return {
    clusters,
    clusterOf(workflow, agent) {
      const c = agentCluster.get(`${workflow.name}/${agent}`);
      if (c === undefined) throw new Error(`internal: no cluster for agent ${agent} of ${workflow.name}`);
      return c;
    },
    cluster(name) {
      const c = plans.get(name);
      if (!c) throw new Error(`internal: no cluster ${name}`);
      return c;
    },
  };
}

function gatewayAddress(g: EastWestGateway | undefined): { eastWestGateway?: GatewayAddress } {
  if (!g) return {};
  const kind = addressKind(g.address);
  if (!kind) throw new Error(`internal: east-west gateway address ${g.address} was not checked`);
  return { eastWestGateway: { address: g.address, kind, port: g.port ?? EAST_WEST_DEFAULTS.port } };
}

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) if (typeof o[k] === 'string') out[k] = o[k] as string;
  return out;
}

/** The owner's server in the mesh is recognised by its service name; every other URL is outside the mesh. */
export function route(url: string, runsServer: boolean): BundleServerRoute {
  const u = new URL(url);
  if (u.hostname === SERVER_HOST) return { kind: 'mesh', local: runsServer, url, host: SERVER_HOST };
  const tls = u.protocol === 'https:';
  return { kind: 'external', url, host: u.hostname, port: u.port ? Number(u.port) : tls ? 443 : 80, tls };
}

/** The cluster of a workflow's owner: where its bundle server runs. */
export function ownerCluster(workflow: Workflow): string {
  const owner = workflow.actors.find((a) => a.name === workflow.owner);
  if (!owner) throw new Error(`internal: workflow ${workflow.name} has no owner actor ${workflow.owner}`);
  return owner.cluster.name;
}

/**
 * The bundle server's name as other clusters reach it through the owner's east-west gateway:
 * `custody-bundle-server-<owner cluster>` (cut with a hash past 63 characters; it starts with a
 * letter and ends with a letter or digit, so a DNS-1035 label, as a Service name must be).
 */
export const ownerServerName = (owner: string): string => boundedName(SERVER_NAME, owner);
export const ownerServerHost = (owner: string): string => `${ownerServerName(owner)}.${SYSTEM_NAMESPACE}.svc.cluster.local`;

/**
 * How the sidecars of one workflow in this cluster reach its owner's bundle server. Through the
 * mesh from another cluster, always at the per-owner host once the owner has published its
 * gateway, never at the server's own name: the passthrough gateway routes by the SNI, which must
 * name a Service of the owner's cluster, and one name cannot route to two owners. One rule for one
 * owner or several, so that a second owner's workflow arriving in a cluster changes nothing of the
 * first's objects. Without a published gateway the server's own name stays (docs/gitops.md).
 */
export function workflowBundleRoute(topo: Topology, cluster: ClusterPlan, workflow: Workflow): BundleServerRoute {
  const r = cluster.bundleServer;
  if (r.kind !== 'mesh') return r;
  const owner = topo.cluster(ownerCluster(workflow));
  if (owner.name === cluster.name) return { kind: 'mesh', local: true, url: r.url, host: SERVER_HOST };
  const gateway = owner.settings.eastWestGateway;
  if (!gateway) return { kind: 'mesh', local: false, url: r.url, host: SERVER_HOST };
  const host = ownerServerHost(owner.name);
  // route() recognised the server's host in the URL's authority; only that part changes.
  const url = r.url.replace(new RegExp(SERVER_HOST.replace(/\./g, '\\.'), 'i'), host);
  return { kind: 'mesh', local: false, url, host, gateway };
}

/**
 * Whether the sidecars of another cluster fetch their bundles from this cluster's server through
 * the mesh (its gateway then exposes the server under the per-owner host).
 */
export function fetchedThroughMesh(topo: Topology, cluster: ClusterPlan): boolean {
  return cluster.served.some((w) =>
    w.agents.some((a) => {
      const where = topo.cluster(topo.clusterOf(w, a.name));
      return where.name !== cluster.name && where.bundleServer.kind === 'mesh';
    }),
  );
}

/** Lookups by agent name, built once per workflow (a large workflow has thousands of agents and flows). */
export interface WorkflowIndex {
  agent(name: string): Agent;
  /** Flows to the agent, in spec order. */
  inbound(name: string): readonly Flow[];
  /** Flows from the agent, in spec order. */
  outbound(name: string): readonly Flow[];
  /** `<trust domain>/ns/<namespace>/sa/<name>`: how Istio writes a SPIFFE principal (without `spiffe://`). */
  principal(name: string): string;
}

const indexes = new WeakMap<Workflow, WorkflowIndex>();

export function workflowIndex(workflow: Workflow): WorkflowIndex {
  const known = indexes.get(workflow);
  if (known) return known;
  const agents = new Map(workflow.agents.map((a) => [a.name, a]));
  const inbound = new Map<string, Flow[]>();
  const outbound = new Map<string, Flow[]>();
  for (const f of workflow.flows) {
    (inbound.get(f.to) ?? inbound.set(f.to, []).get(f.to)!).push(f);
    (outbound.get(f.from) ?? outbound.set(f.from, []).get(f.from)!).push(f);
  }
  const index: WorkflowIndex = {
    agent(name) {
      const a = agents.get(name);
      if (!a) throw new Error(`internal: workflow ${workflow.name} has no agent ${name}`);
      return a;
    },
    inbound: (name) => inbound.get(name) ?? [],
    outbound: (name) => outbound.get(name) ?? [],
    principal: (name) => index.agent(name).principal.replace(/^spiffe:\/\//, ''),
  };
  indexes.set(workflow, index);
  return index;
}

/** A Kubernetes name made of parts, at most 63 characters: longer ones keep a readable prefix and a hash. */
export function boundedName(...parts: string[]): string {
  const name = parts.join('-');
  if (name.length <= 63) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, 54).replace(/-+$/, '')}-${hash}`;
}

/** `<trust domain>/ns/<namespace>/sa/<name>`: how Istio writes a SPIFFE principal (without `spiffe://`). */
export function principal(workflow: Workflow, agent: string): string {
  return workflowIndex(workflow).principal(agent);
}
