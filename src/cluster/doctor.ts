/**
 * `custody doctor`: the preflight an operator runs before the reconciler syncs a cluster. Each
 * check reads the cluster, says pass or fail, and on a failure the fix. A check that does not
 * apply to this cluster (the signing key where no bundle server runs) is skipped, and says why.
 */
import { GENERATED_DIR, SERVER_NAME, SYSTEM_NAMESPACE } from '../contract/index.js';
import type { KeySet } from '../keys/index.js';
import { clusterIssuer, meshPeers, names, receivesAcrossClusters, topology, type ClusterPlan } from '../manifests/index.js';
import type { Workflow } from '../workflow/index.js';
import { applyObjects } from './apply.js';
import type { ClusterClient, KubeObject } from './client.js';
import { ClusterError } from './errors.js';
import { EXT_AUTHZ_FIX, extAuthzProvider, meshConfig, meshTrustDomain, peerRoots, storageEncryption } from './mesh-checks.js';
import { clusterTree, treeObjects, wiringTree } from './tree.js';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface Check {
  readonly id: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
}

export interface DoctorReport {
  readonly cluster: string;
  readonly context: string;
  readonly ok: boolean;
  readonly checks: readonly Check[];
}

const ISTIO_CRDS = [
  'authorizationpolicies.security.istio.io',
  'peerauthentications.security.istio.io',
  'sidecars.networking.istio.io',
  'serviceentries.networking.istio.io',
];
/** Only where other clusters send here: the east-west Gateway the tree exposes them on. */
const GATEWAY_CRD = 'gateways.networking.istio.io';
const ARGO_CRDS = ['applications.argoproj.io', 'appprojects.argoproj.io'];
const FLUX_CRDS = ['gitrepositories.source.toolkit.fluxcd.io', 'kustomizations.kustomize.toolkit.fluxcd.io'];

/**
 * `keys` comes read, not from `root`: the command reads keys/ under the rule every command reads
 * it by (a keys/ that is a link, or lies under one, is refused, never followed).
 */
export async function doctor(client: ClusterClient, root: string, workflows: readonly Workflow[], cluster: string, keys: KeySet): Promise<DoctorReport> {
  const topo = topology(workflows);
  const plan = topo.clusters.find((c) => c.name === cluster);
  if (!plan)
    throw new ClusterError('unknown-cluster', 'usage', `no workflow places an agent in cluster "${cluster}"`, {
      hint: `clusters: ${topology(workflows)
        .clusters.map((c) => c.name)
        .join(', ')}; pass --cluster`,
    });
  const valuesFile = `${GENERATED_DIR}/clusters/${cluster}/${names.ISTIOD_VALUES_FILE}`;
  const crds = new Set((await client.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition')).map((c) => c.metadata.name));
  const missing = (list: readonly string[]) => list.filter((n) => !crds.has(n));
  const checks: Check[] = [];
  const add = (id: string, ok: boolean, detail: string, fix: string) => checks.push(ok ? { id, status: 'pass', detail } : { id, status: 'fail', detail, fix });

  const receives = receivesAcrossClusters(topo, plan);
  const istioCrds = receives ? [...ISTIO_CRDS, GATEWAY_CRD] : ISTIO_CRDS;
  add(
    'istio-crds',
    missing(istioCrds).length === 0,
    missing(istioCrds).length
      ? `missing: ${missing(istioCrds).join(', ')}`
      : `AuthorizationPolicy, PeerAuthentication, Sidecar, ServiceEntry${receives ? ', Gateway' : ''} served`,
    'install Istio 1.22 or later (istioctl install, or the base Helm chart)',
  );
  const argo = missing(ARGO_CRDS).length === 0;
  const flux = missing(FLUX_CRDS).length === 0;
  add(
    'reconciler-crds',
    argo || flux,
    argo || flux
      ? [argo && 'Argo CD', flux && 'Flux'].filter(Boolean).join(' and ') + ' CRDs served'
      : `neither Argo CD (${ARGO_CRDS.join(', ')}) nor Flux (${FLUX_CRDS.join(', ')})`,
    'install Argo CD 2.x/3.x or Flux 2 in this cluster (or in the cluster that manages it)',
  );

  const istio = await client.get('v1', 'ConfigMap', 'istio', 'istio-system');
  const mesh = meshConfig((istio?.data as Record<string, string> | undefined)?.mesh);
  if (!mesh) {
    add(
      'ext-authz-provider',
      false,
      istio ? 'the istio ConfigMap has no readable "mesh" key' : 'no ConfigMap istio-system/istio: Istio is not installed',
      EXT_AUTHZ_FIX,
    );
    add('trust-domain', false, 'no mesh configuration to read', `install istiod with ${valuesFile}`);
    add('peer-roots', false, 'no mesh configuration to read', `install istiod with ${valuesFile}`);
  } else {
    const provider = extAuthzProvider(mesh);
    add('ext-authz-provider', provider.ok, provider.detail, EXT_AUTHZ_FIX);
    const domain = meshTrustDomain(mesh);
    // Each organisation's cluster has its own trust domain, as the workflow gives it for this cluster.
    const expected = plan.settings.trustDomain;
    add(
      'trust-domain',
      domain === expected,
      domain === expected
        ? `${domain}, as the workflows give this cluster`
        : `the mesh's trust domain is ${domain}; the workflows give this cluster ${expected}`,
      `set meshConfig.trustDomain: ${expected} (${valuesFile}) and upgrade istiod, or correct the cluster's trustDomain in the workflow`,
    );
    const verdict = peerRoots(mesh, meshPeers(topo, plan, keys.roots ?? new Map()));
    add(
      'peer-roots',
      verdict.ok,
      verdict.detail,
      `install istiod with ${valuesFile} (meshConfig.caCertificates: each peer's root with trustDomains [its trust domain]); a missing root: commit keys/roots/<peer>.pem and run custody generate first`,
    );
  }
  // The cluster's own certificate authority: the root its peers were given (keys/roots/<cluster>.pem).
  const cacerts = await client.get('v1', 'Secret', 'cacerts', 'istio-system');
  const live = (cacerts?.data as Record<string, string> | undefined)?.['root-cert.pem'];
  const own = keys.roots?.get(cluster);
  const liveText = live === undefined ? undefined : Buffer.from(live, 'base64').toString('utf8');
  const sameRoot = own !== undefined && liveText !== undefined && liveText.replace(/\s+/g, '') === own.pem.replace(/\s+/g, '');
  add(
    'mesh-root',
    liveText !== undefined && (own === undefined || sameRoot),
    liveText === undefined
      ? 'no istio-system/cacerts with root-cert.pem: this cluster signs with a self-made root, which no peer trusts'
      : own === undefined
        ? `istio-system/cacerts holds a plugged-in root; keys/roots/${cluster}.pem is not committed, so the peers cannot trust it yet`
        : sameRoot
          ? `istio-system/cacerts holds the root committed as keys/roots/${cluster}.pem (SHA-256 ${own.fingerprint})`
          : `istio-system/cacerts holds another root than keys/roots/${cluster}.pem (SHA-256 ${own.fingerprint}), the one the peers trust`,
    `plug in the CA whose root is committed as keys/roots/${cluster}.pem: kubectl -n istio-system create secret generic cacerts --from-file=ca-cert.pem --from-file=ca-key.pem --from-file=root-cert.pem --from-file=cert-chain.pem`,
  );

  checks.push(await storageCheck(client, plan));
  checks.push(await signingKeyCheck(client, plan));
  checks.push(await discoveryBindingCheck(client, plan));
  checks.push(argo ? await destinationCheck(client, root, cluster) : { id: 'argocd-destination', status: 'skip', detail: 'Argo CD is not installed here' });
  checks.push(await dryRunCheck(client, root, cluster));
  return { cluster, context: client.context, ok: checks.every((c) => c.status !== 'fail'), checks };
}

async function storageCheck(client: ClusterClient, plan: ClusterPlan): Promise<Check> {
  const name = plan.settings.storageClass;
  const sc = (await client.get('storage.k8s.io/v1', 'StorageClass', name)) as
    (KubeObject & { provisioner?: string; parameters?: Record<string, string> }) | undefined;
  if (!sc)
    return {
      id: 'storage-class',
      status: 'fail',
      detail: `no StorageClass ${name}: the agents' volumes would stay Pending`,
      fix: `create an encrypted StorageClass named ${name} (or set storageClass on the cluster in the workflow)`,
    };
  const e = storageEncryption(sc);
  return e.ok
    ? { id: 'storage-class', status: 'pass', detail: `${name}: ${e.detail}` }
    : { id: 'storage-class', status: 'fail', detail: `${name}: ${e.detail}`, fix: `recreate ${name} with encryption on` };
}

async function signingKeyCheck(client: ClusterClient, plan: ClusterPlan): Promise<Check> {
  if (plan.served.length === 0) return { id: 'signing-key', status: 'skip', detail: 'no bundle server runs in this cluster' };
  const secret = await client.get('v1', 'Secret', names.SIGNING_KEY_SECRET, SYSTEM_NAMESPACE);
  const ok = !!(secret?.data as Record<string, string> | undefined)?.['private-key.pem'];
  return ok
    ? { id: 'signing-key', status: 'pass', detail: `${SYSTEM_NAMESPACE}/${names.SIGNING_KEY_SECRET} holds private-key.pem` }
    : {
        id: 'signing-key',
        status: 'fail',
        detail: `no Secret ${SYSTEM_NAMESPACE}/${names.SIGNING_KEY_SECRET} with private-key.pem: the bundle server cannot sign`,
        fix: `kubectl -n ${SYSTEM_NAMESPACE} create secret generic ${names.SIGNING_KEY_SECRET} --from-file=private-key.pem=<the key custody keygen wrote>`,
      };
}

/** The owner's server reading its own cluster's token keys needs the binding the tree carries (synced with it, or removed by hand). */
async function discoveryBindingCheck(client: ClusterClient, plan: ClusterPlan): Promise<Check> {
  const issuer = plan.served.length > 0 ? clusterIssuer(plan, new Set(), plan.name) : undefined;
  if (!issuer?.jwksTokenFile) return { id: 'issuer-discovery', status: 'skip', detail: "the bundle server does not read this cluster's own token keys" };
  const name = `${SERVER_NAME}-issuer-discovery`;
  const b = (await client.get('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', name)) as
    (KubeObject & { roleRef?: { name?: string }; subjects?: { kind?: string; name?: string; namespace?: string }[] }) | undefined;
  const ok =
    b?.roleRef?.name === 'system:service-account-issuer-discovery' &&
    (b.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === SERVER_NAME && s.namespace === SYSTEM_NAMESPACE);
  return ok
    ? { id: 'issuer-discovery', status: 'pass', detail: `ClusterRoleBinding ${name} lets the bundle server read ${issuer.jwksUrl}` }
    : {
        id: 'issuer-discovery',
        status: 'fail',
        detail: b
          ? `ClusterRoleBinding ${name} does not bind system:service-account-issuer-discovery to ${SYSTEM_NAMESPACE}/${SERVER_NAME}`
          : `no ClusterRoleBinding ${name}: the bundle server cannot read ${issuer.jwksUrl}, and refuses this cluster's sidecars`,
        fix: `sync the custody-system folder of this cluster's tree (it holds clusterrolebinding-issuer-discovery.yaml; Argo CD's custody-system project must allow ClusterRoleBinding)`,
      };
}

/** Argo CD resolves an Application's destination name through its cluster Secrets. */
async function destinationCheck(client: ClusterClient, root: string, cluster: string): Promise<Check> {
  const apps = treeObjects(wiringTree(root, 'argocd', cluster)).filter((o) => o.kind === 'Application');
  const secrets = await client.list('v1', 'Secret', 'argocd', 'argocd.argoproj.io/secret-type=cluster');
  const decoded = (s: KubeObject, k: string) => {
    const v = (s.data as Record<string, string> | undefined)?.[k];
    return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
  };
  const known = new Set(secrets.flatMap((s) => [decoded(s, 'name'), decoded(s, 'server')]).filter((x): x is string => !!x));
  const wanted = [
    ...new Set(apps.map((a) => (a.spec as { destination?: { name?: string; server?: string } }).destination ?? {}).map((d) => d.name ?? d.server ?? '')),
  ].sort();
  const unresolved = wanted.filter((w) => !known.has(w) && w !== 'https://kubernetes.default.svc');
  return unresolved.length === 0
    ? { id: 'argocd-destination', status: 'pass', detail: `destination ${wanted.join(', ')} resolves to an Argo CD cluster` }
    : {
        id: 'argocd-destination',
        status: 'fail',
        detail: `Argo CD knows no cluster ${unresolved.join(', ')}`,
        fix: `argocd cluster add <context> --name ${unresolved[0]} (or a Secret in argocd labelled argocd.argoproj.io/secret-type=cluster with name ${unresolved[0]})`,
      };
}

async function dryRunCheck(client: ClusterClient, root: string, cluster: string): Promise<Check> {
  const objects = treeObjects(clusterTree(root, cluster));
  const results = await applyObjects(client, objects, { dryRun: true });
  // A dry run creates no namespace, so objects of a namespace not created yet cannot be judged.
  const waiting = results.filter((r) => r.error && /namespaces? "[^"]+" not found/.test(r.error));
  const bad = results.filter((r) => (r.error && !waiting.includes(r)) || r.warnings.length > 0);
  const note = waiting.length ? `; ${waiting.length} wait for their namespace (created by the first sync)` : '';
  return bad.length === 0
    ? { id: 'dry-run', status: 'pass', detail: `${results.length - waiting.length} of ${results.length} objects accepted by a server-side dry run${note}` }
    : {
        id: 'dry-run',
        status: 'fail',
        detail: bad.map((r) => r.error ?? `${r.object}: ${r.warnings.join('; ')}`).join('\n'),
        fix: 'fix what the API server refuses (a missing CRD: the checks above; a refusal of the tree itself: custody generate, and report it)',
      };
}

export function renderDoctor(report: DoctorReport): string {
  const lines = report.checks.map((c) => {
    const head = `${c.status.toUpperCase().padEnd(4)}  ${c.id.padEnd(18)}  ${c.detail.replace(/\n/g, '\n' + ' '.repeat(26))}`;
    return c.fix ? `${head}\n${' '.repeat(26)}fix: ${c.fix}` : head;
  });
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  return `custody doctor: cluster ${report.cluster} (context ${report.context})\n${lines.join('\n')}\n${failed === 0 ? 'ready to sync' : `${failed} check(s) failed`}\n`;
}
