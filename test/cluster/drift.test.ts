/**
 * `custody drift` against a real API server holding hdr-west's generated tree: nothing to report
 * after the apply; a principal added by hand to hdr's ALLOW policy and the namespace's mTLS
 * turned PERMISSIVE (both with kubectl, as a person would) reported as widenings with exit 1;
 * nothing again after the tree is re-applied (forcing, as a reconciler's self-heal does).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyObjects } from '../../src/cluster/apply.js';
import { clusterTree, treeObjects } from '../../src/cluster/tree.js';
import { startControlPlane, toolBinary } from '../helpers/control-plane.js';
import { REPO } from '../helpers/paths.js';
import { custody } from './cli.js';

const run = promisify(execFile);

test('drift reports a hand-added principal and a PERMISSIVE PeerAuthentication as widenings, and nothing after re-apply', async () => {
  const plane = await startControlPlane({ context: 'hdr-west' });
  const kubectl = (...args: string[]) => run(toolBinary('kubectl'), ['--kubeconfig', plane.kubeconfig, '-n', 'movie-post-production', ...args]);
  try {
    // Istio's installation makes istio-system; the tree's east-west gateway objects live there.
    await plane.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
    const objects = treeObjects(clusterTree(REPO, 'hdr-west'));
    assert.equal(
      (await applyObjects(plane.client, objects)).filter((r) => r.error),
      [],
    );
    let r = await custody(['drift', '--kubeconfig', plane.kubeconfig]);
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /hdr-west: the live access objects of custody-system, istio-system, movie-post-production are what Git says/);

    await kubectl(
      'patch',
      'authorizationpolicy',
      'allow-color-to-hdr',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'add', path: '/spec/rules/0/from/0/source/principals/-', value: 'mesh.color.example/ns/movie-post-production/sa/intruder' }]),
    );
    await kubectl('patch', 'peerauthentication', 'default', '--type=merge', '-p', JSON.stringify({ spec: { mtls: { mode: 'PERMISSIVE' } } }));
    r = await custody(['drift', '--kubeconfig', plane.kubeconfig]);
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /2 difference\(s\) from Git, 2 widening access/);
    assert.match(
      r.stdout,
      /widens +movie-post-production\/AuthorizationPolicy\/allow-color-to-hdr: hdr could now receive from mesh\.color\.example\/ns\/movie-post-production\/sa\/intruder \(POST \/api\/hdr port 8080\)/,
    );
    assert.match(
      r.stdout,
      /widens +movie-post-production\/PeerAuthentication\/default: every workload in movie-post-production could now receive plaintext traffic from peers without a mesh identity: mTLS is PERMISSIVE, Git says STRICT/,
    );
    const json = JSON.parse((await custody(['drift', '--kubeconfig', plane.kubeconfig, '--json'])).stdout) as { widening: boolean; findings: unknown[] };
    assert.is(json.widening, true);
    assert.is(json.findings.length, 2);

    assert.equal(
      (await applyObjects(plane.client, objects, { force: true })).filter((x) => x.error),
      [],
    );
    r = await custody(['drift', '--kubeconfig', plane.kubeconfig]);
    assert.is(r.code, 0, r.stdout);
    assert.match(r.stdout, /are what Git says/);
  } finally {
    await plane.stop();
  }
});

test.run();
