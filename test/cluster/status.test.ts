/**
 * `custody status --kube` against a real API server holding vfx-central's tree. No kubelet and
 * no controllers run here, so the test writes what they would: the Deployments' and pods'
 * status (through the status subresource, as the kubelet and the controller-manager do), the Argo
 * CD Application's sync status and the Flux Kustomization's Ready condition (as their controllers
 * do), and a bundle server's rollout view (its /api/rollout, from a stand-in serving the view's
 * type). One agent runs what Git says, one has a sidecar on an older policy revision.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyObjects } from '../../src/cluster/apply.js';
import type { KubeObject } from '../../src/cluster/client.js';
import { clusterTree, treeObjects, wiringTree } from '../../src/cluster/tree.js';
import type { RolloutView } from '../../src/server/index.js';
import { startControlPlane, toolBinary } from '../helpers/control-plane.js';
import { REPO } from '../helpers/paths.js';
import { custody } from './cli.js';

const run = promisify(execFile);
const NS = 'movie-post-production';
const HEAD = '3f9c2d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e';
const OLD = '0123456789abcdef0123456789abcdef01234567';

function rolloutStandIn(token: string): Promise<{ url: string; server: Server }> {
  const agent = (name: string, active: string): RolloutView['agents'][number] => ({
    workflow: NS,
    agent: name,
    cluster: 'vfx-central',
    served: { revision: HEAD, builtAt: '2026-01-01T00:00:00Z' },
    sidecars: [{ instance: `${name}-0`, activeRevision: active, receivedAt: '2026-01-01T00:00:00Z' }],
    inSync: active === HEAD,
    recentDenials: [],
  });
  const view: RolloutView = { repository: 'https://example.invalid/repo.git', agents: [agent('vfx-1', HEAD), agent('vfx-2', OLD), agent('vfx-3', HEAD)] };
  const server = createServer((req, res) => {
    if (req.url !== '/api/rollout' || req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(view));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server })),
  );
}

test('status --kube: per agent, the Deployment, pods, OPA, the reconciler and the policy revision', async () => {
  const plane = await startControlPlane({ context: 'vfx-central' });
  const stand = await rolloutStandIn('admin-token');
  const kubectl = (...args: string[]) => run(toolBinary('kubectl'), ['--kubeconfig', plane.kubeconfig, ...args]);
  try {
    for (const name of ['argocd', 'flux-system', 'istio-system']) await plane.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const objects = [
      ...treeObjects(clusterTree(REPO, 'vfx-central')),
      ...treeObjects(wiringTree(REPO, 'argocd', 'vfx-central')),
      ...treeObjects(wiringTree(REPO, 'flux', 'vfx-central')),
    ];
    assert.equal(
      (await applyObjects(plane.client, objects)).filter((r) => r.error),
      [],
    );

    for (const agent of ['vfx-1', 'vfx-2', 'vfx-3']) {
      // The pod the Deployment's ReplicaSet would make, from its own template (admitted at restricted).
      const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === agent) as KubeObject & {
        spec: { template: { metadata: object; spec: object } };
      };
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...dep.spec.template.metadata, name: `${agent}-0`, namespace: NS },
        spec: dep.spec.template.spec,
      } as KubeObject;
      assert.equal((await applyObjects(plane.client, [pod]))[0]!.warnings, []);
      const now = '2026-01-01T00:00:00Z';
      const container = (name: string, image: string) => ({
        name,
        image,
        imageID: '',
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      });
      await kubectl(
        '-n',
        NS,
        'patch',
        'pod',
        `${agent}-0`,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({
          status: {
            phase: 'Running',
            conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
            containerStatuses: [container('service', 'registry.example/vfx/compositor:2.0'), container('opa', 'openpolicyagent/opa:1.22.2-envoy')],
          },
        }),
      );
      await kubectl(
        '-n',
        NS,
        'patch',
        'deployment',
        agent,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 } }),
      );
    }
    await kubectl(
      '-n',
      'argocd',
      'patch',
      'application',
      `vfx-central-${NS}`,
      '--type=merge',
      '-p',
      JSON.stringify({ status: { sync: { status: 'Synced', revision: HEAD }, health: { status: 'Healthy' } } }),
    );
    await kubectl(
      '-n',
      'flux-system',
      'patch',
      'kustomization',
      'custody',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          lastAppliedRevision: `main@sha1:${HEAD}`,
          conditions: [{ type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: 'Applied', lastTransitionTime: '2026-01-01T00:00:00Z' }],
        },
      }),
    );

    const tokenFile = path.join(plane.dir, 'admin.token');
    writeFileSync(tokenFile, 'admin-token\n');
    const args = ['status', '--kube', '--kubeconfig', plane.kubeconfig, '--server', stand.url, '--token-file', tokenFile];
    let r = await custody(args);
    assert.is(r.code, 1, r.stdout + r.stderr);
    const row = (agent: string) => r.stdout.split('\n').find((l) => l.includes(`${NS}/${agent} `)) ?? '';
    assert.match(
      row('vfx-1'),
      /^ok +movie-post-production\/vfx-1 +1\/1 +1\/1 +ready +argocd Synced\/Healthy @3f9c2d1e8b7a; flux Ready=True @3f9c2d1e8b7a +served 3f9c2d1e8b7a; sidecars 3f9c2d1e8b7a$/,
    );
    assert.match(row('vfx-2'), /^XX +movie-post-production\/vfx-2 .* served 3f9c2d1e8b7a; sidecars 0123456789ab$/);
    assert.match(row('vfx-3'), /^ok /);
    assert.match(r.stdout, /1 agent\(s\) not running what Git says/);

    // Argo CD sees the cluster differ from Git: every agent of the workflow is out of sync.
    await kubectl(
      '-n',
      'argocd',
      'patch',
      'application',
      `vfx-central-${NS}`,
      '--type=merge',
      '-p',
      JSON.stringify({ status: { sync: { status: 'OutOfSync' } } }),
    );
    r = await custody([...args, '--json']);
    const report = JSON.parse(r.stdout) as { ok: boolean; agents: { agent: string; reconcilerSynced: boolean; ok: boolean }[] };
    assert.is(r.code, 1);
    assert.equal(
      report.agents.map((a) => [a.agent, a.reconcilerSynced, a.ok]),
      [
        ['vfx-1', false, false],
        ['vfx-2', false, false],
        ['vfx-3', false, false],
      ],
    );

    await kubectl(
      '-n',
      'argocd',
      'patch',
      'application',
      `vfx-central-${NS}`,
      '--type=merge',
      '-p',
      JSON.stringify({ status: { sync: { status: 'Synced' } } }),
    );
    r = await custody(['status', '--kube', '--kubeconfig', plane.kubeconfig]);
    assert.is(r.code, 0, 'without the bundle server, the cluster side alone is in sync\n' + r.stdout);
    assert.match(r.stdout, /every agent runs what Git says/);
  } finally {
    stand.server.close();
    await plane.stop();
  }
});

test.run();
