/**
 * Kubernetes NetworkPolicies, the layer below the mesh: if a pod bypassed its proxy, these still
 * hold. Default deny in both directions; then DNS, istiod and the bundle server for every pod; then
 * per agent exactly the peers its flows need. A peer in another cluster is reached through its
 * cluster's east-west gateway, at the address its organisation published (east-west.ts).
 */
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import type { INetworkPolicyIngressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import { SERVER_NAME, SERVER_PORT, SYSTEM_NAMESPACE } from '../contract/index.js';
import { EAST_WEST_PORT, ISTIOD_PORT, LABEL, WAVE } from './constants.js';
import { meta } from './objects.js';
import type { BundleServerRoute, GatewayAddress } from './topology.js';

const NAMESPACE_NAME = 'kubernetes.io/metadata.name';
const tcp = (port: number) => ({ protocol: 'TCP' as const, port });
export const inNamespace = (ns: string, pods: Record<string, string>): INetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { [NAMESPACE_NAME]: ns } },
  podSelector: { matchLabels: pods },
});

/** Any address: NetworkPolicy cannot name a DNS host or another cluster's gateway. */
export const ANYWHERE: INetworkPolicyPeer = { ipBlock: { cidr: '0.0.0.0/0' } };
export const EAST_WEST_GATEWAY = inNamespace('istio-system', { istio: 'eastwestgateway' });
export const agentPods = (agent: string) => ({ matchLabels: { [LABEL.agent]: agent } });

export function defaultDeny(ns: string, labels: Record<string, string>): INetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('default-deny', ns, WAVE.deny, labels),
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
}

/** The egress no pod of the mesh can start without: DNS and istiod (xDS and certificates). */
export function meshEgress(): INetworkPolicyEgressRule[] {
  return [
    { to: [inNamespace('kube-system', { 'k8s-app': 'kube-dns' })], ports: [{ protocol: 'UDP' as const, port: 53 }, tcp(53)] },
    { to: [inNamespace('istio-system', { app: 'istiod' })], ports: [tcp(ISTIOD_PORT)] },
  ];
}

/** How a sidecar's OPA reaches the bundle server, as seen by the pod's network. */
export function bundleServerEgress(route: BundleServerRoute): INetworkPolicyEgressRule {
  if (route.kind === 'mesh' && route.local) return { to: [inNamespace(SYSTEM_NAMESPACE, { [LABEL.name]: SERVER_NAME })], ports: [tcp(SERVER_PORT)] };
  // The owner's gateway, at the address and port its organisation published (as for a remote agent).
  if (route.kind === 'mesh' && route.gateway) return { to: gatewayPeers(route.gateway), ports: [tcp(route.gateway.port)] };
  if (route.kind === 'mesh') return { to: [ANYWHERE], ports: [tcp(EAST_WEST_PORT)] };
  return { to: [ANYWHERE], ports: [tcp(route.port)] };
}

/** Needed by every pod of the namespace before it can become ready; lands with the denies. */
export function infrastructure(ns: string, route: BundleServerRoute, labels: Record<string, string>): INetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('allow-mesh-and-bundle-server', ns, WAVE.deny, labels),
    spec: { podSelector: {}, policyTypes: ['Egress'], egress: [...meshEgress(), bundleServerEgress(route)] },
  };
}

export interface Peer {
  readonly agent: string;
  /** The port of the receiving agent. */
  readonly port: number;
  /** In the same cluster (a pod of this namespace) or behind another cluster's east-west gateway. */
  readonly local: boolean;
  /** A remote receiver's cluster gateway, as its organisation published it (absent: not routable). */
  readonly gateway?: GatewayAddress;
}

/** What one agent's flows need: from each sender, to each receiver. */
export function agentPolicy(
  ns: string,
  agent: string,
  port: number,
  senders: readonly Peer[],
  receivers: readonly Peer[],
  labels: Record<string, string>,
): INetworkPolicy {
  const ingress: INetworkPolicyIngressRule[] = [];
  const localSenders = senders.filter((s) => s.local).map((s) => s.agent);
  if (localSenders.length) ingress.push({ from: localSenders.map((a) => ({ podSelector: agentPods(a) })), ports: [tcp(port)] });
  if (senders.some((s) => !s.local)) ingress.push({ from: [EAST_WEST_GATEWAY], ports: [tcp(port)] });
  const egress: INetworkPolicyEgressRule[] = receivers.filter((r) => r.local).map((r) => ({ to: [{ podSelector: agentPods(r.agent) }], ports: [tcp(r.port)] }));
  // A remote receiver is reached at its cluster's gateway, on the port that organisation published.
  const gateways = new Map<string, GatewayAddress>();
  for (const r of receivers) if (!r.local && r.gateway) gateways.set(`${r.gateway.address} ${r.gateway.port}`, r.gateway);
  for (const [, g] of [...gateways].sort(([a], [b]) => (a < b ? -1 : 1))) egress.push({ to: gatewayPeers(g), ports: [tcp(g.port)] });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(agent, ns, WAVE.allow, labels),
    spec: {
      podSelector: agentPods(agent),
      policyTypes: [...(ingress.length ? ['Ingress' as const] : []), ...(egress.length ? ['Egress' as const] : [])],
      ...(ingress.length ? { ingress } : {}),
      ...(egress.length ? { egress } : {}),
    },
  };
}

/**
 * Where a sender's pods may connect for a peer's gateway: the address itself when it is an IP;
 * for a DNS name any address of either family (NetworkPolicy cannot name a host; `0.0.0.0/0`
 * alone would leave an IPv6 gateway unreachable).
 */
export function gatewayPeers(gateway: GatewayAddress): INetworkPolicyPeer[] {
  if (gateway.kind === 'ipv4') return [{ ipBlock: { cidr: `${gateway.address}/32` } }];
  if (gateway.kind === 'ipv6') return [{ ipBlock: { cidr: `${gateway.address}/128` } }];
  return [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }];
}
