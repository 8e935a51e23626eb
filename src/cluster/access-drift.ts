/**
 * Drift in access terms: the live access objects of a cluster (Istio AuthorizationPolicies,
 * PeerAuthentications and Sidecars, NetworkPolicies, each agent's OPA configuration) compared
 * with the generated ones, and every difference said as what it allows: "hdr could now receive
 * from X". A widening is anything the live cluster permits that Git does not: a principal
 * granted, a deny removed, mTLS no longer required, egress opened, a sidecar loading policy from
 * elsewhere. Differences that only take access away are reported too, but are not widenings.
 * Pure: no cluster here, the objects come from the caller.
 */
import { parse } from 'yaml';
import { cmp } from '../core/order.js';
import { stableJson } from '../core/json.js';
import type { KubeObject } from './client.js';

export interface DriftFinding {
  readonly namespace: string;
  /** `Kind/name` of the live or generated object the difference is in. */
  readonly object: string;
  readonly widening: boolean;
  readonly message: string;
}

/** The kinds compared, as drift lists them from the cluster. */
export const ACCESS_KINDS = [
  { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy' },
  { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication' },
  { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
] as const;

type Obj = KubeObject & { spec?: Record<string, unknown>; data?: Record<string, string> };
const isAccessObject = (o: Obj) =>
  ACCESS_KINDS.some((k) => k.kind === o.kind) && (o.kind !== 'ConfigMap' || (typeof o.data?.['config.yaml'] === 'string' && o.metadata.name.endsWith('-opa')));
const keyOf = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export function accessDrift(desired: readonly KubeObject[], live: readonly KubeObject[]): DriftFinding[] {
  const want = new Map((desired as Obj[]).filter(isAccessObject).map((o) => [keyOf(o), o]));
  const have = new Map((live as Obj[]).filter(isAccessObject).map((o) => [keyOf(o), o]));
  const out: DriftFinding[] = [];
  for (const key of new Set([...want.keys(), ...have.keys()])) {
    const g = want.get(key);
    const l = have.get(key);
    const o = (g ?? l)!;
    const add = (widening: boolean, message: string) =>
      out.push({ namespace: o.metadata.namespace ?? '', object: `${o.kind}/${o.metadata.name}`, widening, message });
    const compare = {
      AuthorizationPolicy: authorizationPolicy,
      PeerAuthentication: peerAuthentication,
      Sidecar: sidecar,
      NetworkPolicy: networkPolicy,
      ConfigMap: opaConfig,
    }[o.kind as (typeof ACCESS_KINDS)[number]['kind']];
    compare(g, l, add);
  }
  return out.sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.object, b.object) || Number(b.widening) - Number(a.widening) || cmp(a.message, b.message));
}

type Add = (widening: boolean, message: string) => void;

/** Who an object's selector picks, in the words an owner uses. */
function target(o: Obj, selector: unknown): string {
  const labels = selector as { matchLabels?: Record<string, string>; labels?: Record<string, string> } | undefined;
  const match = labels?.matchLabels ?? labels?.labels ?? {};
  if (match['custody.dev/agent']) return match['custody.dev/agent'];
  if (match['app.kubernetes.io/name']) return match['app.kubernetes.io/name'];
  const pairs = Object.entries(match);
  return pairs.length === 0 ? `every workload in ${o.metadata.namespace}` : `workloads with ${pairs.map(([k, v]) => `${k}=${v}`).join(',')}`;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

// ---- AuthorizationPolicy: the (source, operation) pairs each ALLOW grants to its target.
interface Rule {
  from?: { source?: Record<string, unknown> }[];
  to?: { operation?: Record<string, unknown> }[];
  when?: unknown[];
}
function grants(o: Obj | undefined): Set<string> {
  const out = new Set<string>();
  if (!o || (o.spec?.action ?? 'ALLOW') !== 'ALLOW') return out;
  const who = target(o, o.spec?.selector);
  for (const rule of (o.spec?.rules as Rule[] | undefined) ?? []) {
    const sources = (rule.from ?? []).flatMap(({ source = {} }) => {
      const named = [
        ...list(source.principals),
        ...list(source.namespaces).map((n) => `any workload of namespace ${n}`),
        ...list(source.ipBlocks).map((c) => `addresses ${c}`),
      ];
      return named.length > 0 && !source.notPrincipals && !source.notNamespaces ? named : ['any source'];
    });
    const ops = (rule.to ?? []).map(({ operation = {} }) =>
      [
        list(operation.methods).join('|') || 'any method',
        list(operation.paths).join(' ') || 'any path',
        list(operation.ports).length ? `port ${list(operation.ports).join(',')}` : 'any port',
      ].join(' '),
    );
    const condition = rule.when ? ` when ${stableJson(rule.when)}` : '';
    for (const s of sources.length ? sources : ['any source']) for (const op of ops.length ? ops : ['any request']) out.add(`${who}\t${s}\t${op}${condition}`);
  }
  return out;
}

function authorizationPolicy(g: Obj | undefined, l: Obj | undefined, add: Add): void {
  const action = (o: Obj | undefined) => (o?.spec?.action as string | undefined) ?? 'ALLOW';
  const denyAll = (o: Obj | undefined) => !!o && action(o) === 'ALLOW' && !o.spec?.rules;
  if (g && denyAll(g) && !denyAll(l))
    add(true, `deny-all ${l ? 'changed' : 'removed'}: workloads of ${g.metadata.namespace} that no ALLOW policy selects could now receive from anyone`);
  if (g && action(g) !== 'ALLOW' && stableJson(g.spec) !== stableJson(l?.spec)) {
    const what = action(g) === 'CUSTOM' ? 'checked by OPA (the ext_authz provider)' : 'denied as Git says';
    add(true, `requests to ${target(g, g.spec?.selector)} are no longer ${what}: the ${action(g)} policy is ${l ? 'changed' : 'removed'}`);
  }
  const want = grants(g);
  const have = grants(l);
  for (const x of have) if (!want.has(x)) add(true, grantWords(x, 'could now receive from'));
  for (const x of want) if (!have.has(x)) add(false, grantWords(x, 'no longer receives from'));
  if (!g && l && action(l) !== 'ALLOW') add(false, `a ${action(l)} policy Git does not hold selects ${target(l, l.spec?.selector)}`);
}

function grantWords(grant: string, verb: string): string {
  const [who, source, op] = grant.split('\t');
  return `${who} ${verb} ${source} (${op})`;
}

// ---- PeerAuthentication: anything but STRICT lets plaintext, unauthenticated peers in.
function peerAuthentication(g: Obj | undefined, l: Obj | undefined, add: Add): void {
  const mode = (o: Obj | undefined) => (o?.spec?.mtls as { mode?: string } | undefined)?.mode ?? 'UNSET';
  const ports = (o: Obj | undefined) =>
    Object.entries((o?.spec?.portLevelMtls as Record<string, { mode?: string }> | undefined) ?? {})
      .filter(([, v]) => v.mode !== 'STRICT')
      .map(([p, v]) => `${p} (${v.mode ?? 'UNSET'})`);
  const who = (o: Obj) => target(o, o.spec?.selector);
  if (g && !l)
    return add(
      mode(g) === 'STRICT',
      `${who(g)} could now receive plaintext traffic from peers without a mesh identity: PeerAuthentication ${g.metadata.name} (STRICT) is removed`,
    );
  if (!l) return;
  if (mode(l) !== 'STRICT' && mode(l) !== mode(g))
    add(true, `${who(l)} could now receive plaintext traffic from peers without a mesh identity: mTLS is ${mode(l)}, Git says ${g ? mode(g) : 'nothing'}`);
  for (const p of ports(l)) if (!ports(g).includes(p)) add(true, `${who(l)} could now receive plaintext traffic on port ${p}`);
  if (g && mode(g) !== 'STRICT' && mode(l) === 'STRICT') add(false, `${who(l)} requires mTLS where Git does not`);
}

// ---- Sidecar: which hosts a workload may send to.
function sidecar(g: Obj | undefined, l: Obj | undefined, add: Add): void {
  const who = (o: Obj) => target(o, o.spec?.workloadSelector);
  const hosts = (o: Obj | undefined) => new Set(((o?.spec?.egress as { hosts?: string[] }[] | undefined) ?? []).flatMap((e) => list(e.hosts)));
  const mode = (o: Obj | undefined) => (o?.spec?.outboundTrafficPolicy as { mode?: string } | undefined)?.mode ?? 'ALLOW_ANY';
  if (g && !l) return add(true, `${who(g)} could now send to any host: Sidecar ${g.metadata.name} is removed`);
  if (!l) return;
  if (mode(l) === 'ALLOW_ANY' && mode(g) !== 'ALLOW_ANY')
    add(true, `${who(l)} could now send to any host outside the mesh registry (outboundTrafficPolicy ALLOW_ANY)`);
  for (const h of hosts(l)) if (!hosts(g).has(h)) add(g !== undefined || hosts(l).size > 0, `${who(l)} could now send to ${h}`);
  for (const h of hosts(g)) if (!hosts(l).has(h)) add(false, `${who(l)} can no longer send to ${h}`);
}

// ---- NetworkPolicy: allow rules are additive, so every live rule Git lacks opens a path.
function peerWords(peer: Record<string, unknown>): string {
  const ip = peer.ipBlock as { cidr?: string } | undefined;
  if (ip?.cidr) return `addresses ${ip.cidr}`;
  const ns = (peer.namespaceSelector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels?.['kubernetes.io/metadata.name'];
  const pods = peer.podSelector as { matchLabels?: Record<string, string> } | undefined;
  const podWords = pods?.matchLabels
    ? Object.entries(pods.matchLabels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',')
    : '';
  return `${podWords ? `pods ${podWords}` : 'any pod'}${ns ? ` in namespace ${ns}` : peer.namespaceSelector ? ' in any namespace' : ''}`;
}

function networkRules(o: Obj | undefined, direction: 'ingress' | 'egress'): Map<string, string> {
  const out = new Map<string, string>();
  for (const rule of (o?.spec?.[direction] as Record<string, unknown>[] | undefined) ?? []) {
    const peers = (rule[direction === 'ingress' ? 'from' : 'to'] as Record<string, unknown>[] | undefined) ?? [];
    const ports =
      ((rule.ports as { port?: unknown; protocol?: string }[] | undefined) ?? []).map((p) => `${p.protocol ?? 'TCP'} ${p.port ?? 'any'}`).join(', ') ||
      'any port';
    for (const peer of peers.length ? peers : [undefined])
      out.set(stableJson([peer ?? null, rule.ports ?? null]), `${peer ? peerWords(peer) : 'anywhere'} on ${ports}`);
  }
  return out;
}

function networkPolicy(g: Obj | undefined, l: Obj | undefined, add: Add): void {
  const who = (o: Obj) => target(o, o.spec?.podSelector);
  const types = (o: Obj | undefined) => new Set(list(o?.spec?.policyTypes));
  const o = (l ?? g)!;
  if (g && !l) {
    for (const t of types(g))
      add(
        true,
        `${who(g)} could now ${t === 'Ingress' ? 'receive from' : 'send to'} more than Git allows: NetworkPolicy ${g.metadata.name} limiting ${t.toLowerCase()} is removed`,
      );
    return;
  }
  for (const [direction, type, verb] of [
    ['ingress', 'Ingress', 'receive from'],
    ['egress', 'Egress', 'send to'],
  ] as const) {
    const limited = (x: Obj | undefined) => types(x).has(type);
    if (g && limited(g) && !limited(l)) add(true, `${who(o)} could now ${verb} anywhere: NetworkPolicy ${o.metadata.name} no longer limits ${direction}`);
    if (!limited(l)) continue;
    const want = networkRules(g, direction);
    for (const [k, words] of networkRules(l, direction)) if (!want.has(k)) add(true, `${who(o)} could now ${verb} ${words}`);
    const have = networkRules(l, direction);
    for (const [k, words] of want) if (!have.has(k)) add(false, `${who(o)} can no longer ${verb} ${words}`);
  }
}

// ---- The OPA sidecar's configuration: where it loads policy from, and which key it trusts.
function opaConfig(g: Obj | undefined, l: Obj | undefined, add: Add): void {
  const agent = (g ?? l)!.metadata.labels as Record<string, string> | undefined;
  const who = agent?.['custody.dev/agent'] ?? (g ?? l)!.metadata.name;
  const cfg = (o: Obj | undefined): Record<string, unknown> => {
    try {
      return (parse(o?.data?.['config.yaml'] ?? '{}') as Record<string, unknown> | null) ?? {};
    } catch {
      return { unparsable: o?.data?.['config.yaml'] };
    }
  };
  if (!g) return;
  if (!l) return add(false, `${who}'s OPA configuration is missing: its sidecar cannot start`);
  const want = cfg(g);
  const have = cfg(l);
  const widening: Record<string, string> = {
    services: `${who}'s sidecar could now load policy from, or report to, another server`,
    keys: `${who}'s sidecar could now accept bundles signed with another key`,
    bundles: `${who}'s sidecar could now enforce another bundle (or an unsigned one)`,
    plugins: `${who}'s sidecar could now decide requests with another rule`,
  };
  for (const section of [...new Set([...Object.keys(want), ...Object.keys(have)])].sort(cmp)) {
    if (stableJson(want[section] ?? null) === stableJson(have[section] ?? null)) continue;
    add(section in widening, widening[section] ?? `${who}'s OPA configuration differs from Git in ${section}`);
  }
}
