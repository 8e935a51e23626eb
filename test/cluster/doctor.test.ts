/**
 * `custody doctor` against a real API server that starts with nothing: every prerequisite
 * missing, then created one at a time, each check turning from fail to pass as its prerequisite
 * appears, and exit 0 only at the end. The owner's cluster (studio-central) is used, so the
 * signing-key check applies.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KubeObject } from '../../src/cluster/client.js';
import { clusterTree, treeObjects } from '../../src/cluster/tree.js';
import { installCrds, pinnedCrds, startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { main } from '../../src/cli/main.js';
import { REPO, repoPath } from '../helpers/paths.js';
import { custody } from './cli.js';

let plane: ControlPlane;

/**
 * A copy of the repository's workflows, keys and generated trees with every organisation's mesh
 * root committed (the repository itself has none yet): studio-central's peers are the four other
 * clusters of the movie workflow.
 */
const repo = mkdtempSync(path.join(tmpdir(), 'custody-doctor-'));
for (const dir of ['workflows', 'keys', 'generated']) cpSync(repoPath(dir), path.join(repo, dir), { recursive: true });
mkdirSync(path.join(repo, 'keys', 'roots'));
const ROOT = (cluster: string) => readFileSync(repoPath('test', 'fixtures', 'roots', `${cluster}.pem`), 'utf8');
for (const c of ['color-central', 'hdr-west', 'sound-west', 'studio-central', 'vfx-central'])
  writeFileSync(path.join(repo, 'keys', 'roots', `${c}.pem`), ROOT(c));

async function run(args: string[], cwd = repo): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd });
  return { code, stdout, stderr };
}

async function checks(): Promise<{ code: number; byId: Record<string, string>; detail: Record<string, string> }> {
  const r = await run(['doctor', '--kubeconfig', plane.kubeconfig, '--json']);
  if (!r.stdout) throw new Error(`doctor printed nothing: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { ok: boolean; checks: { id: string; status: string; detail: string }[] };
  assert.is(report.ok, r.code === 0);
  return {
    code: r.code,
    byId: Object.fromEntries(report.checks.map((c) => [c.id, c.status])),
    detail: Object.fromEntries(report.checks.map((c) => [c.id, c.detail])),
  };
}

const PROVIDERS = [{ name: 'opa-ext-authz-grpc', envoyExtAuthzGrpc: { service: 'opa-ext-authz-grpc.local', port: 9191 } }];
/** The peers' roots as istiod's values bind them, each to its organisation's trust domain. */
const BOUND = [
  { pem: ROOT('color-central'), trustDomains: ['mesh.color.example'] },
  { pem: ROOT('hdr-west'), trustDomains: ['mesh.hdr.example'] },
  { pem: ROOT('sound-west'), trustDomains: ['mesh.sound.example'] },
  { pem: ROOT('vfx-central'), trustDomains: ['mesh.vfx.example'] },
];
// The mesh key as an administrator writes it (JSON is YAML).
const mesh = (config: Record<string, unknown>, trustDomain = 'mesh.studio.example') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'istio', namespace: 'istio-system' },
  data: { mesh: JSON.stringify({ trustDomain, ...config }) },
});
const secret = (name: string, namespace: string, data: Record<string, string>, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace, labels },
  type: 'Opaque',
  stringData: data,
});

test('doctor fails on an empty cluster, then passes check by check as each prerequisite is created', async () => {
  plane = await startControlPlane({ context: 'studio-central', crds: false });
  try {
    const c = plane.client;
    let r = await checks();
    assert.is(r.code, 1);
    assert.equal(r.byId, {
      'istio-crds': 'fail',
      'reconciler-crds': 'fail',
      'ext-authz-provider': 'fail',
      'trust-domain': 'fail',
      'peer-roots': 'fail',
      'mesh-root': 'fail',
      'storage-class': 'fail',
      'signing-key': 'fail',
      'issuer-discovery': 'skip',
      'argocd-destination': 'skip',
      'dry-run': 'fail',
    });

    const crds = pinnedCrds();
    // Other clusters send to studio-central, so its tree holds an east-west Gateway: without that CRD, a fail naming it.
    await installCrds(
      c,
      crds.filter((x) => x.metadata.name.endsWith('.istio.io') && x.metadata.name !== 'gateways.networking.istio.io'),
    );
    r = await checks();
    assert.is(r.byId['istio-crds'], 'fail');
    assert.is(r.detail['istio-crds'], 'missing: gateways.networking.istio.io');
    // The dry run says which object cannot be applied, and goes on with the others.
    assert.is(r.byId['dry-run'], 'fail');
    assert.match(r.detail['dry-run']!, 'Gateway istio-system/custody-east-west: Gateway (networking.istio.io/v1) is not served by this API server');
    await installCrds(
      c,
      crds.filter((x) => x.metadata.name === 'gateways.networking.istio.io'),
    );
    r = await checks();
    assert.is(r.byId['istio-crds'], 'pass');
    assert.is(r.detail['istio-crds'], 'AuthorizationPolicy, PeerAuthentication, Sidecar, ServiceEntry, Gateway served');
    await installCrds(
      c,
      crds.filter((x) => x.metadata.name.endsWith('argoproj.io')),
    );
    r = await checks();
    assert.is(r.byId['reconciler-crds'], 'pass');
    assert.is(r.byId['argocd-destination'], 'fail', 'with Argo CD installed, its destination cluster must resolve');

    await c.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
    await c.apply(mesh({ extensionProviders: [{ name: 'other', envoyExtAuthzGrpc: { service: 'x.local', port: 1 } }] }));
    r = await checks();
    assert.is(r.byId['ext-authz-provider'], 'fail');
    assert.is(r.byId['trust-domain'], 'pass');
    assert.is(r.byId['peer-roots'], 'fail', 'no peer root in the mesh');
    await c.apply(mesh({ extensionProviders: PROVIDERS }));
    assert.is((await checks()).byId['ext-authz-provider'], 'pass');

    // The trust domain of the mesh must be this cluster's, as the workflow gives it.
    await c.apply(mesh({ extensionProviders: PROVIDERS, caCertificates: BOUND }, 'cluster.local'));
    r = await checks();
    assert.is(r.byId['trust-domain'], 'fail');
    assert.is(r.detail['trust-domain'], "the mesh's trust domain is cluster.local; the workflows give this cluster mesh.studio.example");

    // A peer's root missing, one bound to another peer's domain, a foreign root bound to a peer's domain.
    await c.apply(mesh({ extensionProviders: PROVIDERS, caCertificates: BOUND.slice(1) }));
    r = await checks();
    assert.is(r.byId['trust-domain'], 'pass');
    assert.is(r.byId['peer-roots'], 'fail');
    assert.match(r.detail['peer-roots']!, /^color-central: its root \(SHA-256 [0-9A-F:]+\) is not in caCertificates$/);
    await c.apply(mesh({ extensionProviders: PROVIDERS, caCertificates: [{ ...BOUND[0]!, trustDomains: ['mesh.hdr.example'] }, ...BOUND.slice(1)] }));
    r = await checks();
    assert.is(r.byId['peer-roots'], 'fail');
    assert.is(
      r.detail['peer-roots'],
      'color-central: its root is bound to mesh.hdr.example, not to mesh.color.example\nhdr-west: 1 other root(s) are bound to its trust domain mesh.hdr.example',
    );
    await c.apply(mesh({ extensionProviders: PROVIDERS, caCertificates: [...BOUND, { pem: ROOT('studio-central'), trustDomains: ['mesh.vfx.example'] }] }));
    r = await checks();
    assert.is(r.detail['peer-roots'], 'vfx-central: 1 other root(s) are bound to its trust domain mesh.vfx.example');
    await c.apply(mesh({ extensionProviders: PROVIDERS, caCertificates: BOUND }));
    r = await checks();
    assert.is(r.byId['peer-roots'], 'pass');
    assert.is(
      r.detail['peer-roots'],
      'caCertificates bind color-central to mesh.color.example, hdr-west to mesh.hdr.example, sound-west to mesh.sound.example, vfx-central to mesh.vfx.example',
    );

    // The cluster's own CA must be the one whose root its peers were given.
    await c.apply(secret('cacerts', 'istio-system', { 'root-cert.pem': ROOT('vfx-central') }));
    r = await checks();
    assert.is(r.byId['mesh-root'], 'fail');
    assert.match(r.detail['mesh-root']!, /holds another root than keys\/roots\/studio-central\.pem/);
    await c.apply(secret('cacerts', 'istio-system', { 'root-cert.pem': ROOT('studio-central') }));
    assert.is((await checks()).byId['mesh-root'], 'pass');

    const sc = (encrypted: string): KubeObject => ({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'custody-encrypted' },
      provisioner: 'ebs.csi.aws.com',
      parameters: { encrypted },
    });
    await c.apply(sc('false'));
    assert.is((await checks()).byId['storage-class'], 'fail', 'an unencrypted EBS class is refused');
    await c.remove(sc('false'));
    await c.apply(sc('true'));
    assert.is((await checks()).byId['storage-class'], 'pass');

    // The bundle server's namespace as generated, then the key the owner creates by hand.
    await c.apply(treeObjects(clusterTree(REPO, 'studio-central')).find((o) => o.kind === 'Namespace' && o.metadata.name === 'custody-system')!);
    await c.apply(secret('custody-bundle-signing-key', 'custody-system', { 'private-key.pem': 'pem' }));
    assert.is((await checks()).byId['signing-key'], 'pass');

    await c.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argocd' } });
    await c.apply(
      // A per-cluster Argo CD names its own cluster in-cluster, the generated destination.
      secret('in-cluster', 'argocd', { name: 'in-cluster', server: 'https://kubernetes.default.svc' }, { 'argocd.argoproj.io/secret-type': 'cluster' }),
    );
    r = await checks();
    assert.is(r.byId['argocd-destination'], 'pass');
    assert.is(r.byId['dry-run'], 'pass');
    assert.is(r.code, 0);

    const text = await run(['doctor', '--kubeconfig', plane.kubeconfig]);
    assert.is(text.code, 0);
    assert.match(text.stdout, /PASS  dry-run/);
    assert.match(text.stdout, /ready to sync/);
  } finally {
    await plane.stop();
    rmSync(repo, { recursive: true, force: true });
  }
});

test("where the owner's server reads its own cluster's token keys, doctor checks the discovery binding exists", async () => {
  const own = mkdtempSync(path.join(tmpdir(), 'custody-doctor-own-'));
  for (const dir of ['workflows', 'keys', 'generated']) cpSync(repoPath(dir), path.join(own, dir), { recursive: true });
  const spec = path.join(own, 'workflows', 'movie-post-production.yaml');
  const text = readFileSync(spec, 'utf8');
  const studio = '{ name: studio-central, region: us-central1, trustDomain: mesh.studio.example, eastWestGateway: { address: eastwest.mesh.studio.example } }';
  assert.ok(text.includes(studio));
  writeFileSync(
    spec,
    text.replace(
      studio,
      '{ name: studio-central, region: us-central1, trustDomain: mesh.studio.example, eastWestGateway: { address: eastwest.mesh.studio.example }, tokenIssuer: "https://kubernetes.default.svc", tokenJwksUrl: "https://kubernetes.default.svc/openid/v1/jwks" }',
    ),
  );
  const plane = await startControlPlane({ context: 'studio-central', crds: false });
  try {
    const status = async () => {
      const report = JSON.parse((await run(['doctor', '--kubeconfig', plane.kubeconfig, '--json'], own)).stdout) as {
        checks: { id: string; status: string; detail: string }[];
      };
      return report.checks.find((c) => c.id === 'issuer-discovery')!;
    };
    const missing = await status();
    assert.is(missing.status, 'fail');
    assert.is(
      missing.detail,
      "no ClusterRoleBinding custody-bundle-server-issuer-discovery: the bundle server cannot read https://kubernetes.default.svc/openid/v1/jwks, and refuses this cluster's sidecars",
    );
    const binding = (role: string): KubeObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'custody-bundle-server-issuer-discovery' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: 'custody-bundle-server', namespace: 'custody-system' }],
    });
    await plane.client.apply(binding('view'));
    assert.is((await status()).status, 'fail', 'a binding to another role does not count');
    await plane.client.remove(binding('view'));
    await plane.client.apply(binding('system:service-account-issuer-discovery'));
    assert.is((await status()).status, 'pass');
  } finally {
    await plane.stop();
    rmSync(own, { recursive: true, force: true });
  }
});

test('a context the kubeconfig lacks, and a cluster no workflow names, are usage errors', async () => {
  // Both are decided before any request: the kubeconfig points at a port nothing listens on.
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-kubeconfig-'));
  const kubeconfig = path.join(dir, 'config');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: {} }],
      contexts: [{ name: 'elsewhere', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'elsewhere',
    }),
  );
  try {
    const r = await custody(['doctor', '--kubeconfig', kubeconfig, '--context', 'nowhere']);
    assert.is(r.code, 2);
    assert.match(r.stderr, /no context "nowhere"/);
    const unknown = await custody(['doctor', '--kubeconfig', kubeconfig]);
    assert.is(unknown.code, 2);
    assert.match(unknown.stderr, /unknown-cluster.*"elsewhere"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
