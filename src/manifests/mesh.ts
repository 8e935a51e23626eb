/**
 * Istio's share of the controls in a workflow namespace: mutual TLS only, deny by default, every
 * request decided by the pod's own OPA (CUSTOM), the flows allowed again natively (defence in
 * depth if OPA were missing; time and attribute conditions live only in OPA), and egress limited
 * to services in the registry, per agent to its flow targets.
 *
 * Written as the v1 APIs (Istio 1.22 and later serve them); see docs/gitops.md.
 */
import type { IAuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import type { IPeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1beta1/PeerAuthentication';
import type { IServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1beta1/ServiceEntry';
import type { ISidecar } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Sidecar';
import type { PathPattern } from '../workflow/index.js';
import { EXT_AUTHZ_HOST, EXT_AUTHZ_PORT, EXT_AUTHZ_PROVIDER, LABEL, WAVE } from './constants.js';
import { meta } from './objects.js';

type AsVersion<T, V extends string> = Omit<T, 'apiVersion'> & { apiVersion: V };
export type PeerAuthenticationV1 = AsVersion<IPeerAuthentication, 'security.istio.io/v1'>;
export type SidecarV1 = AsVersion<ISidecar, 'networking.istio.io/v1'>;
export type ServiceEntryV1 = AsVersion<IServiceEntry, 'networking.istio.io/v1'>;

export function strictMtls(ns: string, labels: Record<string, string>): PeerAuthenticationV1 {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: meta('default', ns, WAVE.mtls, labels),
    spec: { mtls: { mode: 'STRICT' } },
  };
}

/** An ALLOW policy with no rules matches nothing: with it, a request no other ALLOW matches is denied. */
export function denyAll(ns: string, labels: Record<string, string>): IAuthorizationPolicy {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: meta('deny-all', ns, WAVE.deny, labels), spec: {} };
}

/**
 * Every request to every pod of the namespace goes to the pod-local OPA first (CUSTOM runs before
 * ALLOW and DENY). A pod without OPA fails the check and is unreachable: fail closed.
 */
export function opaExtAuthz(ns: string, labels: Record<string, string>): IAuthorizationPolicy {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: meta('opa-ext-authz', ns, WAVE.deny, labels),
    spec: { action: 'CUSTOM', provider: { name: EXT_AUTHZ_PROVIDER }, rules: [{}] },
  };
}

/** The host the mesh's extension provider names, resolved to the pod's own OPA. */
export function opaServiceEntry(ns: string, labels: Record<string, string>): ServiceEntryV1 {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: meta(EXT_AUTHZ_PROVIDER, ns, WAVE.deny, labels),
    spec: {
      hosts: [EXT_AUTHZ_HOST],
      endpoints: [{ address: '127.0.0.1' }],
      ports: [{ name: 'grpc', number: EXT_AUTHZ_PORT, protocol: 'GRPC' }],
      resolution: 'STATIC',
      exportTo: ['.'],
    },
  };
}

/** A host outside the mesh that pods of this namespace may call (the bundle server, a Git host). */
export function externalServiceEntry(
  name: string,
  ns: string,
  host: string,
  port: number,
  tls: boolean,
  labels: Record<string, string>,
  wave: number = WAVE.deny,
): ServiceEntryV1 {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: meta(name, ns, wave, labels),
    spec: {
      hosts: [host],
      location: 'MESH_EXTERNAL',
      ports: [{ name: tls ? 'tls' : 'tcp', number: port, protocol: tls ? 'TLS' : 'TCP' }],
      resolution: 'DNS',
      exportTo: ['.'],
    },
  };
}

/** The namespace's default: nothing outside the registry, and only the OPA provider inside it. */
export function defaultSidecar(ns: string, labels: Record<string, string>, hosts: readonly string[] = [`./${EXT_AUTHZ_HOST}`]): SidecarV1 {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Sidecar',
    metadata: meta('default', ns, WAVE.deny, labels),
    spec: { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, egress: [{ hosts: [...hosts] }] },
  };
}

/** One agent's egress: its flow targets, its bundle server, its OPA. Overrides the namespace default for its pod. */
export function agentSidecar(ns: string, agent: string, hosts: readonly string[], labels: Record<string, string>): SidecarV1 {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Sidecar',
    metadata: meta(agent, ns, WAVE.deny, labels),
    spec: {
      workloadSelector: { labels: { [LABEL.agent]: agent } },
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
      egress: [{ hosts: [...new Set(hosts)].sort() }],
    },
  };
}

/**
 * A flow's path pattern as the values of an Istio rule's `paths`, which match the request path
 * without its query: `abc` exactly, `abc*` as a prefix (and `*abc` as a suffix, never produced:
 * flow paths start with "/"). A prefix `/a/*` names `/a` itself too, so it takes two values;
 * `/*` is every path, Istio's prefix "/".
 */
export function istioPaths(pattern: PathPattern): string[] {
  if (pattern.kind === 'exact') return [pattern.path];
  return pattern.base === '' ? ['/*'] : [pattern.base, `${pattern.base}/*`];
}

export interface AllowRule {
  readonly principals: readonly string[];
  readonly methods: readonly string[];
  readonly paths: readonly string[];
}

/** One inbound flow, allowed natively: the caller's mesh identity, its methods, its paths, on the agent's port. */
export function flowAllow(name: string, ns: string, agent: string, port: number, rule: AllowRule, labels: Record<string, string>): IAuthorizationPolicy {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: meta(name, ns, WAVE.allow, labels),
    spec: {
      selector: { matchLabels: { [LABEL.agent]: agent } },
      action: 'ALLOW',
      rules: [
        {
          from: [{ source: { principals: [...rule.principals] } }],
          to: [{ operation: { methods: [...rule.methods], paths: [...rule.paths], ports: [String(port)] } }],
        },
      ],
    },
  };
}
