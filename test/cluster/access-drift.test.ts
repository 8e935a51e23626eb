/** The access words of drift, on objects changed by hand from hdr-west's generated tree (no cluster). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { accessDrift } from '../../src/cluster/access-drift.js';
import type { KubeObject } from '../../src/cluster/client.js';
import { clusterTree, treeObjects } from '../../src/cluster/tree.js';
import { REPO } from '../helpers/paths.js';

const desired = () => treeObjects(clusterTree(REPO, 'hdr-west'));
const edit = (name: string, kind: string, change: (o: KubeObject & { spec: any; data: any }) => void) =>
  desired().map((o) => {
    if (o.kind !== kind || o.metadata.name !== name) return o;
    const copy = structuredClone(o) as KubeObject & { spec: any; data: any };
    change(copy);
    return copy;
  });
const words = (live: KubeObject[]) => accessDrift(desired(), live).map((f) => `${f.widening ? '+' : '-'} ${f.object}: ${f.message}`);

test('the generated tree against itself: nothing', () => {
  assert.equal(accessDrift(desired(), desired()), []);
});

test('a removed deny-all and a removed ext_authz policy widen', () => {
  const live = desired().filter(
    (o) => !(o.kind === 'AuthorizationPolicy' && o.metadata.namespace === 'movie-post-production' && ['deny-all', 'opa-ext-authz'].includes(o.metadata.name)),
  );
  assert.equal(words(live), [
    '+ AuthorizationPolicy/deny-all: deny-all removed: workloads of movie-post-production that no ALLOW policy selects could now receive from anyone',
    '+ AuthorizationPolicy/opa-ext-authz: requests to every workload in movie-post-production are no longer checked by OPA (the ext_authz provider): the CUSTOM policy is removed',
  ]);
});

test('a removed principal narrows, and is no widening', () => {
  const live = edit('allow-color-to-hdr', 'AuthorizationPolicy', (o) => (o.spec.rules[0].from[0].source.principals = []));
  // With no principal left the source is any source: that is wider, and said so.
  assert.equal(words(live), [
    '+ AuthorizationPolicy/allow-color-to-hdr: hdr could now receive from any source (POST /api/hdr port 8080)',
    '- AuthorizationPolicy/allow-color-to-hdr: hdr no longer receives from mesh.color.example/ns/movie-post-production/sa/color (POST /api/hdr port 8080)',
  ]);
  const gone = desired().filter((o) => o.metadata.name !== 'allow-color-to-hdr');
  assert.equal(
    accessDrift(desired(), gone).map((f) => f.widening),
    [false],
  );
});

test('egress opened in the Sidecar and the NetworkPolicy, and the OPA sidecar pointed elsewhere, widen', () => {
  let live = edit('hdr', 'Sidecar', (o) => {
    o.spec.egress[0].hosts.push('*/*');
    o.spec.outboundTrafficPolicy.mode = 'ALLOW_ANY';
  });
  assert.equal(words(live), [
    '+ Sidecar/hdr: hdr could now send to */*',
    '+ Sidecar/hdr: hdr could now send to any host outside the mesh registry (outboundTrafficPolicy ALLOW_ANY)',
  ]);
  live = edit('hdr', 'NetworkPolicy', (o) => o.spec.egress.push({ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 5432, protocol: 'TCP' }] }));
  assert.equal(words(live), ['+ NetworkPolicy/hdr: hdr could now send to addresses 10.0.0.0/8 on TCP 5432']);
  live = edit(
    'hdr-opa',
    'ConfigMap',
    (o) =>
      (o.data['config.yaml'] = o.data['config.yaml'].replace(
        'http://custody-bundle-server-studio-central.custody-system.svc.cluster.local:8080',
        'http://evil.example',
      )),
  );
  assert.equal(words(live), ["+ ConfigMap/hdr-opa: hdr's sidecar could now load policy from, or report to, another server"]);
});

test('a PeerAuthentication removed or turned DISABLE widens', () => {
  const live = edit('default', 'PeerAuthentication', (o) => o.metadata.namespace === 'movie-post-production' && (o.spec.mtls.mode = 'DISABLE'));
  assert.equal(words(live), [
    '+ PeerAuthentication/default: every workload in movie-post-production could now receive plaintext traffic from peers without a mesh identity: mTLS is DISABLE, Git says STRICT',
  ]);
});

test.run();
