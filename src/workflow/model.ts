/** The checked, typed workflow: what every generator consumes. Built only from input without errors. */
import { MESH_SERVER_URL } from '../contract/index.js';
import type { AttributeValue, Condition } from './condition.js';

export interface Flow {
  /** Position in `spec.flows`, for messages (0-based). */
  readonly index: number;
  readonly from: string;
  readonly to: string;
  /** Upper case, sorted, unique. */
  readonly methods: readonly string[];
  /** A path pattern as written; what it means is `parsePathPattern`'s (paths.ts). */
  readonly path: string;
  /** Alternatives; absent means always. */
  readonly when?: readonly Condition[];
  /** RFC 3339, inclusive. */
  readonly notBefore?: string;
  /** RFC 3339, exclusive. */
  readonly until?: string;
}

export interface Cluster {
  readonly name: string;
  readonly region?: string;
  readonly server?: string;
  /** StorageClass of the agents' volumes (an encrypted one); default {@link CLUSTER_DEFAULTS.storageClass}. */
  readonly storageClass?: string;
  /** Whether the cluster runs the Istio CNI plugin (decides the Pod Security level); default true. */
  readonly istioCni?: boolean;
  /** The bundle server URL the cluster's OPA sidecars pull from; default the owner's in-mesh server. */
  readonly bundleServer?: string;
  /** The Git repository the cluster's reconciler syncs (and the bundle server reads). */
  readonly repository?: string;
  /** The branch of {@link repository}. */
  readonly branch?: string;
  /** The issuer (`iss`) of the cluster's ServiceAccount tokens, for the bundle server to verify them. */
  readonly tokenIssuer?: string;
  /** Where the bundle server fetches that issuer's public keys (JWKS); else `keys/jwks/<cluster>.json`. */
  readonly tokenJwksUrl?: string;
  /** The port of the API server's own address (the kubernetes Service's endpoints), for the bundle server's egress; default 6443. */
  readonly apiServerPort?: number;
  /** The addresses of the API server's endpoints, for the bundle server's egress; default 0.0.0.0/0. */
  readonly apiServerCidr?: string;
  /** The OPA image (with the Envoy plugin) of the agents' sidecars; default the version the tests run. */
  readonly opaImage?: string;
  /** The bundle server's image in this cluster, if it runs one; default the release of this package. */
  readonly serverImage?: string;
  /** The Argo CD cluster name of the destination (unless `server` is given); default {@link CLUSTER_DEFAULTS.argocdDestination}. */
  readonly argocdDestination?: string;
  /** The ServiceAccount (in flux-system) Flux impersonates to apply the cluster's tree. */
  readonly fluxServiceAccount?: string;
  /** Flux Kustomizations (in flux-system) that must be Ready before the cluster's tree is applied. */
  readonly fluxDependsOn?: readonly string[];
  /** Where the agents of other clusters reach this cluster's east-west gateway; absent: nowhere. */
  readonly eastWestGateway?: EastWestGateway;
  /**
   * The SPIFFE trust domain of the cluster's mesh: the one the spec gives for the cluster, else the
   * workflow's `trustDomain`. Always set in a loaded workflow (the loader resolves it), so that
   * every principal names the organisation whose certificate authority issues it.
   */
  readonly trustDomain: string;
}

/**
 * A cluster's east-west gateway as its peers reach it: traffic of other organisations' agents
 * enters through it, in mutual TLS passthrough (the sender's certificate reaches the receiving
 * sidecar). Published by the cluster's organisation; no API-server access is exchanged.
 */
export interface EastWestGateway {
  /** An IP literal or a DNS name. */
  readonly address: string;
  /** Default {@link EAST_WEST_DEFAULTS.port}. */
  readonly port?: number;
  /** The Istio network of the cluster (`topology.istio.io/network`); default the cluster's name. */
  readonly network?: string;
}

export const EAST_WEST_DEFAULTS = { port: 15443 } as const;

/** The per-cluster settings that may be given in the spec, in the order they are documented. */
export const CLUSTER_SETTINGS = [
  'server',
  'region',
  'trustDomain',
  'storageClass',
  'istioCni',
  'bundleServer',
  'repository',
  'branch',
  'tokenIssuer',
  'tokenJwksUrl',
  'apiServerPort',
  'apiServerCidr',
  'opaImage',
  'serverImage',
  'argocdDestination',
  'fluxServiceAccount',
  'fluxDependsOn',
  'eastWestGateway',
] as const;
export type ClusterSetting = (typeof CLUSTER_SETTINGS)[number];

export interface Agent {
  readonly name: string;
  readonly actor: string;
  readonly image: string;
  readonly port: number;
  readonly storage: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  /** Secrets in the workflow's namespace the kubelet pulls the image with, as given (none: absent). */
  readonly imagePullSecrets?: readonly string[];
  /** The service container's requests and limits that differ from the defaults, as given. */
  readonly resources?: AgentResources;
  /**
   * `spiffe://<trust domain of the agent's cluster>/ns/<workflow>/sa/<agent>`: the identity the
   * mesh of the agent's own organisation gives it, and the only one its policies accept.
   */
  readonly principal: string;
}

/** Kubernetes quantities by resource name (`cpu`, `memory`, `ephemeral-storage`). */
export type ResourceList = Readonly<Partial<Record<'cpu' | 'memory' | 'ephemeral-storage', string>>>;

export interface AgentResources {
  readonly requests?: ResourceList;
  readonly limits?: ResourceList;
}

export interface Actor {
  readonly name: string;
  readonly cluster: Cluster;
  /** Agent names, sorted. */
  readonly agents: readonly string[];
}

export interface Workflow {
  readonly apiVersion: 'custody.dev/v1alpha1';
  readonly name: string;
  /** The file it came from, as given to the loader. */
  readonly file: string;
  readonly owner: string;
  readonly timezone: string;
  /** The default trust domain of the workflow's clusters that name none. */
  readonly trustDomain: string;
  /** Sorted by name. */
  readonly actors: readonly Actor[];
  /** Sorted by name. */
  readonly agents: readonly Agent[];
  /** In spec order. */
  readonly flows: readonly Flow[];
}

export const DEFAULTS = {
  timezone: 'UTC',
  trustDomain: 'cluster.local',
  port: 8080,
  storage: '1Gi',
} as const;

/**
 * Defaults of the optional per-cluster settings (a cluster named in several workflows takes the
 * value any of them gives: they must agree). `server` and `region` have none.
 */
export const CLUSTER_DEFAULTS = {
  /** Not created by Custody: the cluster's administrator provides an encrypted class of this name. */
  storageClass: 'custody-encrypted',
  /** Secure by default: a cluster without the CNI plugin must say so, and the review sees it. */
  istioCni: true,
  /** The owner's bundle server, reached through the mesh (mTLS by the sidecars). */
  bundleServer: MESH_SERVER_URL,
  /** The repository of the examples; an owner sets its own. */
  repository: 'https://github.com/custody-dev/custody.git',
  branch: 'main',
  /** kube-apiserver's default --secure-port, what kubeadm and most distributions keep. */
  apiServerPort: 6443,
  /** A NetworkPolicy cannot name the API server (not a pod); the operator narrows this to its endpoints. */
  apiServerCidr: '0.0.0.0/0',
  /** The name Argo CD gives the cluster it runs in: a per-cluster Argo CD deploys there. */
  argocdDestination: 'in-cluster',
} as const;

/**
 * Whether two values of one cluster setting are the same (lists compare by their items, in order;
 * mappings by their keys, whatever their order).
 */
export function sameSetting(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameSetting(x, b[i]));
  if (isMapping(a) && isMapping(b)) {
    const keys = Object.keys(a).sort();
    const other = Object.keys(b).sort();
    return keys.length === other.length && keys.every((k, i) => k === other[i] && sameSetting(a[k], b[k]));
  }
  return a === b;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function spiffeId(trustDomain: string, workflow: string, agent: string): string {
  return `spiffe://${trustDomain}/ns/${workflow}/sa/${agent}`;
}

export function agentByName(workflow: Workflow, name: string): Agent {
  const agent = workflow.agents.find((a) => a.name === name);
  if (!agent) throw new Error(`internal: workflow ${workflow.name} has no agent ${name}`);
  return agent;
}
