/**
 * Every generated tree, sent to a real API server: each cluster's tree of both examples plus its
 * Argo CD and Flux wiring, with server-side apply, to a fresh control plane per cluster (clusters
 * share namespace and object names, and are separate clusters in reality). The namespaces carry
 * the Pod Security `restricted` labels as generated, so the Deployments go through Pod Security
 * admission; the Istio, Argo CD and Flux objects through their CRDs' structural schemas. Every
 * object must be accepted without a warning, and a second apply must change nothing.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyObjects } from '../../src/cluster/apply.js';
import { stableJson } from '../../src/core/json.js';
import type { KubeObject } from '../../src/cluster/client.js';
import { clusterTree, treeObjects, wiringTree } from '../../src/cluster/tree.js';
import { startControlPlane, toolBinary } from '../helpers/control-plane.js';
import { repoPath, REPO } from '../helpers/paths.js';

const run = promisify(execFile);
const CLUSTERS = readdirSync(repoPath('generated', 'clusters')).sort();
const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

test('the tree reader yields what kustomize builds', async () => {
  for (const cluster of CLUSTERS) {
    for (const dir of [clusterTree(REPO, cluster), wiringTree(REPO, 'argocd', cluster), wiringTree(REPO, 'flux', cluster)]) {
      const { stdout } = await run(toolBinary('kustomize'), ['build', dir], { maxBuffer: 64 * 1024 * 1024 });
      const built = parseAllDocuments(stdout).map((d) => d.toJS() as KubeObject);
      assert.equal(treeObjects(dir).map(key).sort(), built.map(key).sort(), dir);
    }
  }
});

test('both examples have their clusters', () => {
  // Five clusters of the movie workflow, three more of the clinical trial (shared-eu, site-boston, sponsor-prod).
  assert.equal(CLUSTERS, ['color-central', 'hdr-west', 'shared-eu', 'site-boston', 'sound-west', 'sponsor-prod', 'studio-central', 'vfx-central']);
});

for (const cluster of CLUSTERS) {
  test(`${cluster}: every object is accepted without a warning, and a second apply changes nothing`, async () => {
    const plane = await startControlPlane({ context: cluster });
    try {
      // Where Argo CD, Flux and Istio's east-west gateway are installed: their own installations
      // create these, not Custody.
      for (const name of ['argocd', 'flux-system', 'istio-system']) await plane.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      const objects = [
        ...treeObjects(clusterTree(REPO, cluster)),
        ...treeObjects(wiringTree(REPO, 'argocd', cluster)),
        ...treeObjects(wiringTree(REPO, 'flux', cluster)),
      ];
      const kinds = new Set(objects.map((o) => o.kind));
      for (const k of [
        'Namespace',
        'AuthorizationPolicy',
        'PeerAuthentication',
        'NetworkPolicy',
        'Application',
        'AppProject',
        'GitRepository',
        'Kustomization',
      ])
        assert.ok(kinds.has(k), `${cluster} has a ${k}`);

      const first = await applyObjects(plane.client, objects);
      assert.is(first.length, objects.length);
      assert.equal(
        first.filter((r) => r.error),
        [],
        'every object accepted',
      );
      const warned = first.flatMap((r) => r.warnings.map((w) => `${r.object}: ${w}`));
      assert.equal(warned, [], 'no admission warning');

      // The namespaces are enforced at restricted, as generated: Pod Security admission judged the pod templates.
      const ns = await plane.client.get(
        'v1',
        'Namespace',
        objects.find((o) => o.kind === 'Namespace' && o.metadata.name !== 'custody-system')?.metadata.name ?? 'custody-system',
      );
      assert.is((ns!.metadata.labels as Record<string, string>)['pod-security.kubernetes.io/enforce'], 'restricted');

      // The second apply changes no content. The API server itself rewrites, once, an object whose
      // status it defaults on read (a PVC's phase, the Flux objects' observedGeneration: -1) at the
      // first update, so a third apply is the one that must leave every resourceVersion alone.
      const versions = (rs: typeof first) => rs.map((r) => `${r.object}@${String(r.live!.metadata.resourceVersion)}`);
      const content = (rs: typeof first) => rs.map((r) => stableJson({ ...r.live!, metadata: { ...r.live!.metadata, resourceVersion: undefined } }));
      const second = await applyObjects(plane.client, objects);
      assert.equal(
        second.filter((r) => r.error || r.warnings.length > 0),
        [],
      );
      assert.equal(content(second), content(first), 'the second apply changes no content');
      const moved = second.filter((r, i) => r.live!.metadata.resourceVersion !== first[i]!.live!.metadata.resourceVersion);
      assert.equal(
        moved.filter((r) => r.live!.status === undefined).map((r) => r.object),
        [],
        'only objects with a status the API server fills were rewritten',
      );
      const third = await applyObjects(plane.client, objects);
      assert.equal(versions(third), versions(second), 'a further apply changes nothing');
    } finally {
      await plane.stop();
    }
  });
}

test('a pod template Pod Security restricted refuses is reported as a warning on apply (the check above can fail)', async () => {
  // A container with no securityContext: no runAsNonRoot, no seccomp profile, capabilities kept.
  const plane = await startControlPlane({ crds: false });
  try {
    const labels = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' };
    const deployment: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'loose', namespace: 'strict' },
      spec: {
        selector: { matchLabels: { app: 'loose' } },
        template: { metadata: { labels: { app: 'loose' } }, spec: { containers: [{ name: 'c', image: 'registry.example/c:1' }] } },
      },
    };
    const [ns, dep] = await applyObjects(plane.client, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'strict', labels } }, deployment]);
    assert.equal(ns!.warnings, []);
    assert.ok(
      dep!.warnings.some((w) => /violate PodSecurity "restricted/.test(w)),
      dep!.warnings.join('\n'),
    );
  } finally {
    await plane.stop();
  }
});

test.run();
