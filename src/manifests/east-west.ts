/**
 * Cross-organisation traffic without API-server access. A flow between clusters leaves the
 * sender's sidecar in Istio mutual TLS (auto-mTLS, SNI `outbound_.<port>_._.<host>`) towards the
 * receiver's east-west gateway, which passes it through by SNI (AUTO_PASSTHROUGH) without
 * terminating TLS: the receiving sidecar sees the sender's own certificate and principal.
 *
 * Sender: a ServiceEntry per remote agent host with one endpoint, the peer's published gateway
 * address. Receiver: a Gateway exposing exactly the hosts of agents that other clusters send to
 * (never `*.local`), and a NetworkPolicy letting the gateway's pods reach only those agents' ports.
 * Deliberately no remote secrets and no endpoint discovery across organisations: either would give
 * one organisation's istiod read access to another's API server, and the endpoints are only the
 * gateway address each organisation publishes in the spec.
 */
import type { IGateway } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import { spiffeId, type Flow, type Workflow } from '../workflow/index.js';
import { SERVER_NAME, SERVER_PORT, SYSTEM_NAMESPACE } from '../contract/index.js';
import { ANNOTATION, EAST_WEST_PORT, LABEL, WAVE } from './constants.js';
import type { ServiceEntryV1 } from './mesh.js';
import { inNamespace, meshEgress } from './network.js';
import { meta, type Placed } from './objects.js';
import {
  fetchedThroughMesh,
  ownerCluster,
  ownerServerHost,
  ownerServerName,
  workflowIndex,
  type ClusterPlan,
  type GatewayAddress,
  type Topology,
} from './topology.js';

type AsVersion<T, V extends string> = Omit<T, 'apiVersion'> & { apiVersion: V };
export type GatewayV1 = AsVersion<IGateway, 'networking.istio.io/v1'>;

/** Where the east-west gateway runs (Istio's multi-network install) and how its pods are labelled. */
export const EAST_WEST_NAMESPACE = 'istio-system';
export const EAST_WEST_SELECTOR = { istio: 'eastwestgateway' } as const;
export const EAST_WEST_NAME = 'custody-east-west';
/** The endpoint label that makes the sender's sidecar originate Istio mutual TLS to the gateway. */
const TLS_MODE_LABEL = 'security.istio.io/tlsMode';

/** The mesh host of an agent: its Service in the workflow's namespace (the SNI the gateway routes by). */
export const agentHost = (workflow: string, agent: string) => `${agent}.${workflow}.svc.cluster.local`;

export interface CrossFlow {
  readonly workflow: Workflow;
  readonly flow: Flow;
  readonly from: string;
  readonly to: string;
}

/** The flows of the workflows whose sender and receiver run in different clusters, in spec order. */
export function crossClusterFlows(topo: Topology, workflow: Workflow): CrossFlow[] {
  const out: CrossFlow[] = [];
  for (const flow of workflow.flows) {
    const from = topo.clusterOf(workflow, flow.from);
    const to = topo.clusterOf(workflow, flow.to);
    if (from !== to) out.push({ workflow, flow, from, to });
  }
  return out;
}

/**
 * Per workflow, each receiving cluster without a published gateway address, the flows into it
 * that cannot be routed, and (for the owner's cluster) the other clusters whose sidecars fetch
 * their bundles from its server through the mesh and so get none: `check` and `generate` warn
 * (the address may come later).
 */
export function missingEastWestGateways(
  topo: Topology,
  workflows: readonly Workflow[],
): { workflow: Workflow; cluster: string; flows: Flow[]; fetchers: string[] }[] {
  const out: { workflow: Workflow; cluster: string; flows: Flow[]; fetchers: string[] }[] = [];
  for (const w of [...workflows].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const byCluster = new Map<string, { flows: Flow[]; fetchers: string[] }>();
    const gap = (cluster: string) => byCluster.get(cluster) ?? byCluster.set(cluster, { flows: [], fetchers: [] }).get(cluster)!;
    for (const c of crossClusterFlows(topo, w)) if (!topo.cluster(c.to).settings.eastWestGateway) gap(c.to).flows.push(c.flow);
    const owner = topo.cluster(ownerCluster(w));
    if (!owner.settings.eastWestGateway) {
      const fetchers = new Set(
        w.agents.map((a) => topo.cluster(topo.clusterOf(w, a.name))).filter((c) => c.name !== owner.name && c.bundleServer.kind === 'mesh'),
      );
      if (fetchers.size) gap(owner.name).fetchers.push(...[...fetchers].map((c) => c.name).sort());
    }
    for (const [cluster, g] of [...byCluster].sort(([a], [b]) => (a < b ? -1 : 1))) out.push({ workflow: w, cluster, ...g });
  }
  return out;
}

/** What other clusters reach in this one through its gateway: per workflow namespace, its agents and ports. */
interface Exposed {
  readonly namespace: string;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly pods: Record<string, string>;
}

function exposedHere(topo: Topology, cluster: ClusterPlan): Exposed[] {
  const out = new Map<string, Exposed>();
  for (const p of cluster.placements) {
    const index = workflowIndex(p.workflow);
    for (const c of crossClusterFlows(topo, p.workflow)) {
      if (c.to !== cluster.name) continue;
      const agent = index.agent(c.flow.to);
      const host = agentHost(p.workflow.name, agent.name);
      out.set(host, { namespace: p.workflow.name, name: agent.name, host, port: agent.port, pods: { [LABEL.agent]: agent.name } });
    }
  }
  // The bundle server of the owner's cluster, for the sidecars of other clusters that fetch their
  // bundles through the mesh: without it here, the gateway would neither route to it nor reach it.
  // Exposed under the per-owner host only (its own Service in custody-system), the name those
  // sidecars use; the server's own host stays for this cluster's sidecars.
  if (fetchedThroughMesh(topo, cluster)) {
    const host = ownerServerHost(cluster.name);
    out.set(host, { namespace: SYSTEM_NAMESPACE, name: SERVER_NAME, host, port: SERVER_PORT, pods: { [LABEL.name]: SERVER_NAME } });
  }
  return [...out.values()].sort((a, b) => (a.host < b.host ? -1 : 1));
}

/** Whether other clusters send to this one (its organisation runs an east-west gateway for them). */
export const receivesAcrossClusters = (topo: Topology, cluster: ClusterPlan): boolean => exposedHere(topo, cluster).length > 0;

/**
 * The receiver's objects, in the gateway's namespace: nothing when no other cluster sends here.
 * One Gateway for all workflows (a single server on the passthrough port, so no two Gateways
 * compete for it), its hosts exactly the exposed agents'.
 */
export function eastWestReceiver(topo: Topology, cluster: ClusterPlan): Placed[] {
  const exposed = exposedHere(topo, cluster);
  if (exposed.length === 0) return [];
  const labels = { [LABEL.partOf]: 'custody', [LABEL.cluster]: cluster.name };
  const gateway: GatewayV1 = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: meta(EAST_WEST_NAME, EAST_WEST_NAMESPACE, WAVE.allow, labels),
    spec: {
      selector: { ...EAST_WEST_SELECTOR },
      servers: [{ port: { number: EAST_WEST_PORT, name: 'tls', protocol: 'TLS' }, tls: { mode: 'AUTO_PASSTHROUGH' }, hosts: exposed.map((e) => e.host) }],
    },
  };
  // Selecting the gateway's pods for egress isolates them: besides DNS and istiod, they reach
  // only the exposed agents, each on its own port.
  const egress: INetworkPolicyEgressRule[] = [
    ...meshEgress(),
    ...exposed.map((e) => ({ to: [inNamespace(e.namespace, e.pods)], ports: [{ protocol: 'TCP' as const, port: e.port }] })),
  ];
  const policy: INetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    // kube-score's exception: the gateway's pods come from Istio's installation, not this tree.
    metadata: meta(EAST_WEST_NAME, EAST_WEST_NAMESPACE, WAVE.allow, labels, { [ANNOTATION.lintIgnore]: 'networkpolicy-targets-pod' }),
    spec: { podSelector: { matchLabels: { ...EAST_WEST_SELECTOR } }, policyTypes: ['Egress'], egress },
  };
  return [
    { file: `gateway-${EAST_WEST_NAME}.yaml`, object: gateway },
    { file: `networkpolicy-${EAST_WEST_NAME}.yaml`, object: policy },
  ];
}

/** A mesh host in another cluster, as a sender sees it: what a remote agent and the owner's server share. */
interface RemoteHost {
  readonly name: string;
  readonly namespace: string;
  readonly host: string;
  readonly port: number;
  /** The identity the receiving sidecar must present. */
  readonly principal: string;
  /** '.': only its own namespace; '*': every namespace. */
  readonly exportTo: string;
}

/**
 * A remote mesh host resolved to the peer's published gateway (STATIC for an IP, DNS for a name),
 * in the peer's network. The tlsMode label makes the sidecar originate Istio mutual TLS (plain
 * text would match no passthrough filter chain), and subjectAltNames pins the receiver's identity.
 */
function atGateway(target: RemoteHost, peer: ClusterPlan, gateway: GatewayAddress, labels: Record<string, string>): ServiceEntryV1 {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: meta(target.name, target.namespace, WAVE.deny, labels, { [ANNOTATION.remoteCluster]: peer.name }),
    spec: {
      hosts: [target.host],
      location: 'MESH_INTERNAL',
      resolution: gateway.kind === 'dns' ? 'DNS' : 'STATIC',
      ports: [{ number: target.port, name: 'http', protocol: 'HTTP' }],
      endpoints: [{ address: gateway.address, ports: { http: gateway.port }, network: peer.settings.network, labels: { [TLS_MODE_LABEL]: 'istio' } }],
      subjectAltNames: [target.principal],
      exportTo: [target.exportTo],
    },
  };
}

/** The sender's view of an agent in another cluster, with the port of the agent's Service. */
export function remoteServiceEntry(
  workflow: Workflow,
  agent: string,
  peer: ClusterPlan,
  gateway: GatewayAddress,
  labels: Record<string, string>,
): ServiceEntryV1 {
  const { port, principal } = workflowIndex(workflow).agent(agent);
  const target = { name: agent, namespace: workflow.name, host: agentHost(workflow.name, agent), port, principal, exportTo: '.' };
  return atGateway(target, peer, gateway, { ...labels, [LABEL.agent]: agent });
}

/**
 * In a cluster whose sidecars fetch through the mesh from an owner cluster that runs their bundle
 * server: the owner's per-owner host at its gateway, as for a remote agent (one per owner, so a
 * cluster may work for several). Every namespace sees it (each workflow's sidecars).
 */
export function remoteServerEntry(owner: ClusterPlan, gateway: GatewayAddress, labels: Record<string, string>): ServiceEntryV1 {
  const principal = spiffeId(owner.settings.trustDomain, SYSTEM_NAMESPACE, SERVER_NAME);
  const target = {
    name: ownerServerName(owner.name),
    namespace: SYSTEM_NAMESPACE,
    host: ownerServerHost(owner.name),
    port: SERVER_PORT,
    principal,
    exportTo: '*',
  };
  return atGateway(target, owner, gateway, labels);
}
