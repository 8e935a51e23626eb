/**
 * The cross-organisation objects, on a small workflow written for them (east-west-specs.ts): four
 * clusters, flows inside one cluster and across clusters, one receiving cluster that published no
 * gateway, one cluster that receives nothing; with a second workflow, a cluster working for two
 * owners. Every expectation is written out.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { manifestFiles, missingEastWestGateways, renderManifests, topology, type KubeObject } from '../../src/manifests/index.js';
import { parse } from 'yaml';
import { loadOne } from '../helpers/workflows.js';
import { loadEw, SECOND, SPEC } from './east-west-specs.js';
import { exampleInputs, isKustomization, validateObject } from './helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = KubeObject & Record<string, any>;

async function render(...more: string[]): Promise<Map<string, Obj>> {
  const r = loadEw(...more);
  assert.equal(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const out = new Map<string, Obj>();
  for (const [p, o] of manifestFiles(r.workflows, await exampleInputs())) if (!isKustomization(o as never)) out.set(p, o as Obj);
  return out;
}

test('a receiving cluster exposes exactly the agents other clusters send to, and its gateway reaches only their ports', async () => {
  const files = await render();
  const gateways = [...files].filter(([, o]) => o.kind === 'Gateway');
  // four receives nothing from another cluster: no gateway object there.
  assert.equal(
    gateways.map(([p]) => p),
    [
      'clusters/one/istio-system/gateway-custody-east-west.yaml',
      'clusters/three/istio-system/gateway-custody-east-west.yaml',
      'clusters/two/istio-system/gateway-custody-east-west.yaml',
    ],
  );
  assert.not.ok([...files.keys()].some((p) => p.startsWith('clusters/four/istio-system/')));
  const hosts = Object.fromEntries(gateways.map(([p, o]) => [p.split('/')[1], o.spec.servers.map((s: any) => s.hosts)]));
  assert.equal(hosts, {
    // src receives from lone (three) and iso (four); local only from src, in its own cluster. The
    // bundle server, because the other clusters' sidecars fetch through the mesh.
    one: [['custody-bundle-server-one.custody-system.svc.cluster.local', 'src.ew.svc.cluster.local']],
    three: [['lone.ew.svc.cluster.local']],
    // other receives only from dst, beside it: not exposed.
    two: [['dst.ew.svc.cluster.local']],
  });
  const two = files.get('clusters/two/istio-system/gateway-custody-east-west.yaml')!;
  assert.equal(two.metadata!.namespace, 'istio-system');
  assert.equal(two.spec.selector, { istio: 'eastwestgateway' });
  assert.equal(two.spec.servers[0].port, { number: 15443, name: 'tls', protocol: 'TLS' });
  assert.equal(two.spec.servers[0].tls, { mode: 'AUTO_PASSTHROUGH' });
  for (const [, o] of gateways) assert.not.ok(JSON.stringify(o.spec).includes('*'), 'no wildcard host');

  const policy = files.get('clusters/two/istio-system/networkpolicy-custody-east-west.yaml')!;
  assert.equal(policy.spec.podSelector, { matchLabels: { istio: 'eastwestgateway' } });
  assert.equal(policy.spec.policyTypes, ['Egress']);
  assert.equal(policy.spec.egress.slice(2), [
    {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ew' } }, podSelector: { matchLabels: { 'custody.dev/agent': 'dst' } } }],
      ports: [{ protocol: 'TCP', port: 9000 }],
    },
  ]);
  for (const [, o] of files) validateObject(o);
});

test('a sender gets a ServiceEntry per remote agent, at the peer gateway, and egress to that gateway only', async () => {
  const files = await render();
  const entries = [...files].filter(([, o]) => o.kind === 'ServiceEntry' && o.spec.location === 'MESH_INTERNAL');
  // lone's cluster published no gateway: two gets nothing for it. No entry for a same-cluster flow.
  // Each cluster without the server reaches the owner's server at one's gateway.
  assert.equal(
    entries.map(([p]) => p),
    [
      'clusters/four/custody-system/serviceentry-custody-bundle-server-one.yaml',
      'clusters/four/ew/remote/serviceentry-src.yaml',
      'clusters/one/ew/remote/serviceentry-dst.yaml',
      'clusters/three/custody-system/serviceentry-custody-bundle-server-one.yaml',
      'clusters/three/ew/remote/serviceentry-src.yaml',
      'clusters/two/custody-system/serviceentry-custody-bundle-server-one.yaml',
    ],
  );
  assert.equal(files.get('clusters/one/ew/remote/serviceentry-dst.yaml')!.spec, {
    hosts: ['dst.ew.svc.cluster.local'],
    location: 'MESH_INTERNAL',
    resolution: 'DNS',
    ports: [{ number: 9000, name: 'http', protocol: 'HTTP' }],
    endpoints: [{ address: 'gw.two.example', ports: { http: 443 }, network: 'net-two', labels: { 'security.istio.io/tlsMode': 'istio' } }],
    subjectAltNames: ['spiffe://mesh.two.example/ns/ew/sa/dst'],
    exportTo: ['.'],
  });
  const toOne = files.get('clusters/three/ew/remote/serviceentry-src.yaml')!.spec;
  assert.equal(
    [toOne.resolution, toOne.endpoints],
    ['STATIC', [{ address: '203.0.113.1', ports: { http: 15443 }, network: 'one', labels: { 'security.istio.io/tlsMode': 'istio' } }]],
  );
  assert.not.ok(
    [...files].some(([, o]) => o.kind === 'Service' && !o.spec.selector && o.metadata!.namespace === 'ew'),
    'no selector-less stub Service',
  );

  // Egress: src to local beside it, and to two's gateway (a DNS name: any address, both families, its port).
  assert.equal(files.get('clusters/one/ew/src/networkpolicy.yaml')!.spec.egress, [
    { to: [{ podSelector: { matchLabels: { 'custody.dev/agent': 'local' } } }], ports: [{ protocol: 'TCP', port: 8080 }] },
    { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }], ports: [{ protocol: 'TCP', port: 443 }] },
  ]);
  assert.equal(files.get('clusters/three/ew/lone/networkpolicy.yaml')!.spec.egress, [
    { to: [{ ipBlock: { cidr: '203.0.113.1/32' } }], ports: [{ protocol: 'TCP', port: 15443 }] },
  ]);
  // other's only target, lone, is unroutable: no egress rule is written for it.
  assert.equal(files.get('clusters/two/ew/other/networkpolicy.yaml')!.spec.egress, undefined);
  // The Sidecar lists the remote host, as for a local flow.
  assert.ok(files.get('clusters/one/ew/src/sidecar.yaml')!.spec.egress[0].hosts.includes('./dst.ew.svc.cluster.local'));
});

test("a cluster without the server fetches bundles at the owner's gateway: a ServiceEntry for the owner's own host, no Service", async () => {
  const files = await render();
  for (const c of ['two', 'three', 'four']) {
    assert.not.ok(files.has(`clusters/${c}/custody-system/service.yaml`), c);
    const entry = files.get(`clusters/${c}/custody-system/serviceentry-custody-bundle-server-one.yaml`)!;
    assert.equal(
      { name: entry.metadata!.name, ns: entry.metadata!.namespace, spec: entry.spec },
      {
        name: 'custody-bundle-server-one',
        ns: 'custody-system',
        spec: {
          hosts: ['custody-bundle-server-one.custody-system.svc.cluster.local'],
          location: 'MESH_INTERNAL',
          resolution: 'STATIC',
          ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }],
          endpoints: [{ address: '203.0.113.1', ports: { http: 15443 }, network: 'one', labels: { 'security.istio.io/tlsMode': 'istio' } }],
          subjectAltNames: ['spiffe://mesh.one.example/ns/custody-system/sa/custody-bundle-server'],
          exportTo: ['*'],
        },
      },
    );
    validateObject(entry);
  }
  // The owner's own cluster runs the server: its Service, and the same pods under the per-owner
  // name its gateway exposes; no entry. Its own sidecars keep the server's own name.
  assert.ok(files.has('clusters/one/custody-system/service.yaml'));
  assert.equal(
    [...files].filter(([p, o]) => p.startsWith('clusters/one/custody-system/') && o.kind === 'Service').map(([p]) => p),
    ['clusters/one/custody-system/service-custody-bundle-server-one.yaml', 'clusters/one/custody-system/service.yaml'],
  );
  const opaUrl = (path: string) => parse(files.get(path)!.data['config.yaml']).services.custody.url;
  assert.is(opaUrl('clusters/one/ew/src/configmap-opa.yaml'), 'http://custody-bundle-server.custody-system.svc.cluster.local:8080');
  assert.is(opaUrl('clusters/two/ew/dst/configmap-opa.yaml'), 'http://custody-bundle-server-one.custody-system.svc.cluster.local:8080');
  assert.ok(
    files.get('clusters/two/ew/dst/sidecar.yaml')!.spec.egress[0].hosts.includes('custody-system/custody-bundle-server-one.custody-system.svc.cluster.local'),
  );
  // The namespace's egress to the bundle server: the owner's gateway at its published address and port.
  assert.equal(files.get('clusters/four/ew/networkpolicy-allow-mesh-and-bundle-server.yaml')!.spec.egress[2], {
    to: [{ ipBlock: { cidr: '203.0.113.1/32' } }],
    ports: [{ protocol: 'TCP', port: 15443 }],
  });
});

test("a cluster working for two owners reaches each owner's server under its own host, at its own gateway", async () => {
  const files = await render(SECOND);
  const entry = (p: string) => {
    const o = files.get(p)!;
    validateObject(o);
    return {
      name: o.metadata!.name,
      ns: o.metadata!.namespace,
      hosts: o.spec.hosts,
      endpoints: o.spec.endpoints,
      san: o.spec.subjectAltNames,
      exportTo: o.spec.exportTo,
    };
  };
  assert.equal(
    [...files].filter(([p, o]) => p.startsWith('clusters/three/custody-system/') && o.kind !== 'Namespace').map(([p]) => p),
    ['clusters/three/custody-system/serviceentry-custody-bundle-server-one.yaml', 'clusters/three/custody-system/serviceentry-custody-bundle-server-two.yaml'],
  );
  assert.equal(entry('clusters/three/custody-system/serviceentry-custody-bundle-server-one.yaml'), {
    name: 'custody-bundle-server-one',
    ns: 'custody-system',
    hosts: ['custody-bundle-server-one.custody-system.svc.cluster.local'],
    endpoints: [{ address: '203.0.113.1', ports: { http: 15443 }, network: 'one', labels: { 'security.istio.io/tlsMode': 'istio' } }],
    san: ['spiffe://mesh.one.example/ns/custody-system/sa/custody-bundle-server'],
    exportTo: ['*'],
  });
  assert.equal(entry('clusters/three/custody-system/serviceentry-custody-bundle-server-two.yaml'), {
    name: 'custody-bundle-server-two',
    ns: 'custody-system',
    hosts: ['custody-bundle-server-two.custody-system.svc.cluster.local'],
    endpoints: [{ address: 'gw.two.example', ports: { http: 443 }, network: 'net-two', labels: { 'security.istio.io/tlsMode': 'istio' } }],
    san: ['spiffe://mesh.two.example/ns/custody-system/sa/custody-bundle-server'],
    exportTo: ['*'],
  });
  assert.is(files.get('clusters/three/custody-system/serviceentry-custody-bundle-server-two.yaml')!.spec.resolution, 'DNS');
  // two runs ew2's server and fetches ew's bundles from one: its server, plus one's entry, no stub.
  assert.equal(entry('clusters/two/custody-system/serviceentry-custody-bundle-server-one.yaml').hosts, [
    'custody-bundle-server-one.custody-system.svc.cluster.local',
  ]);
  assert.ok(files.get('clusters/two/custody-system/service.yaml')!.spec.selector);

  // Each owner's cluster: the server's pods under the per-owner name, same selector and port.
  for (const owner of ['one', 'two']) {
    const svc = files.get(`clusters/${owner}/custody-system/service-custody-bundle-server-${owner}.yaml`)!;
    validateObject(svc);
    assert.equal(
      { name: svc.metadata!.name, ns: svc.metadata!.namespace, spec: svc.spec },
      {
        name: `custody-bundle-server-${owner}`,
        ns: 'custody-system',
        spec: {
          type: 'ClusterIP',
          selector: { 'app.kubernetes.io/name': 'custody-bundle-server' },
          ports: [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' }],
        },
      },
    );
  }
  const hosts = (c: string) => files.get(`clusters/${c}/istio-system/gateway-custody-east-west.yaml`)!.spec.servers[0].hosts;
  assert.equal(hosts('one'), ['custody-bundle-server-one.custody-system.svc.cluster.local', 'src.ew.svc.cluster.local']);
  assert.equal(hosts('two'), ['custody-bundle-server-two.custody-system.svc.cluster.local', 'dst.ew.svc.cluster.local', 'hub.ew2.svc.cluster.local']);
  // two's gateway reaches the server's pods on 8080.
  assert.ok(
    files
      .get('clusters/two/istio-system/networkpolicy-custody-east-west.yaml')!
      .spec.egress.some((r: any) => r.to[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name'] === 'custody-system' && r.ports[0].port === 8080),
  );

  // Per workflow, the sidecars' URL and Sidecar host name their owner's server.
  const opaUrl = (p: string) => parse(files.get(p)!.data['config.yaml']).services.custody.url;
  assert.is(opaUrl('clusters/three/ew/lone/configmap-opa.yaml'), 'http://custody-bundle-server-one.custody-system.svc.cluster.local:8080');
  assert.is(opaUrl('clusters/three/ew2/tool/configmap-opa.yaml'), 'http://custody-bundle-server-two.custody-system.svc.cluster.local:8080');
  assert.is(opaUrl('clusters/two/ew2/hub/configmap-opa.yaml'), 'http://custody-bundle-server.custody-system.svc.cluster.local:8080');
  assert.ok(
    files
      .get('clusters/three/ew2/tool/sidecar.yaml')!
      .spec.egress[0].hosts.includes('custody-system/custody-bundle-server-two.custody-system.svc.cluster.local'),
  );
  assert.equal(files.get('clusters/three/ew2/networkpolicy-allow-mesh-and-bundle-server.yaml')!.spec.egress[2], {
    to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }],
    ports: [{ protocol: 'TCP', port: 443 }],
  });
  assert.equal(files.get('clusters/two/ew2/networkpolicy-allow-mesh-and-bundle-server.yaml')!.spec.egress[2], {
    to: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'custody-system' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'custody-bundle-server' } },
      },
    ],
    ports: [{ protocol: 'TCP', port: 8080 }],
  });
});

test("a second owner's workflow changes nothing of the first workflow's objects", async () => {
  const alone = await render();
  const both = await render(SECOND);
  const ew = (files: Map<string, Obj>) => [...files].filter(([p]) => /^clusters\/[^/]+\/ew\//.test(p));
  assert.ok(ew(alone).length > 0);
  assert.equal(ew(both), ew(alone));
  // Nor of the first owner's server entries elsewhere.
  for (const c of ['two', 'three', 'four'])
    assert.equal(
      both.get(`clusters/${c}/custody-system/serviceentry-custody-bundle-server-one.yaml`),
      alone.get(`clusters/${c}/custody-system/serviceentry-custody-bundle-server-one.yaml`),
    );
});

test('the per-owner name is a DNS-1035 label of at most 63 characters, cut with a stable hash', async () => {
  const long = 'sponsor-research-production-cluster-in-the-eu-central-region';
  const files = await render(SECOND.replaceAll('name: two,', `name: ${long},`).replace('name: ew2', 'name: ew3'));
  const svc = [...files.keys()].filter((p) => p.startsWith(`clusters/${long}/custody-system/service-`));
  assert.equal(svc, [`clusters/${long}/custody-system/service-custody-bundle-server-sponsor-research-production-clus-36cd552f.yaml`]);
  assert.is(files.get(svc[0]!)!.metadata!.name, 'custody-bundle-server-sponsor-research-production-clus-36cd552f');
  assert.equal(files.get('clusters/three/custody-system/serviceentry-custody-bundle-server-sponsor-research-production-clus-36cd552f.yaml')!.spec.hosts, [
    'custody-bundle-server-sponsor-research-production-clus-36cd552f.custody-system.svc.cluster.local',
  ]);
});

test('the gateway objects have their own Argo CD project, limited to istio-system and two kinds', async () => {
  const files = await render();
  const project = files.get('argocd/two/appproject-custody-east-west.yaml')!;
  assert.equal(project.spec.destinations, [{ name: 'in-cluster', namespace: 'istio-system' }]);
  assert.equal(project.spec.clusterResourceWhitelist, []);
  assert.equal(project.spec.namespaceResourceWhitelist, [
    { group: 'networking.istio.io', kind: 'Gateway' },
    { group: 'networking.k8s.io', kind: 'NetworkPolicy' },
  ]);
  const app = files.get('argocd/two/application-custody-east-west.yaml')!;
  assert.equal(
    [app.spec.project, app.spec.source.path, app.spec.destination.namespace],
    ['custody-east-west', 'generated/clusters/two/istio-system', 'istio-system'],
  );
  assert.not.ok(files.has('argocd/four/appproject-custody-east-west.yaml'));
});

test('the flows into a cluster without a published gateway are named', () => {
  const r = loadOne(SPEC);
  const gaps = missingEastWestGateways(topology(r.workflows), r.workflows);
  assert.equal(
    gaps.map((g) => [g.workflow.name, g.cluster, g.flows.map((f) => `${f.from}->${f.to}`)]),
    [['ew', 'three', ['other->lone']]],
  );
});

test("a receiving cluster's hand-over page asks for its gateway's address, ticked once it is in the spec", async () => {
  const tree = renderManifests(loadOne(SPEC).workflows, await exampleInputs());
  const line = (cluster: string) =>
    tree.files
      .get(`clusters/${cluster}/HANDOVER.md`)!
      .split('\n')
      .find((l) => l.includes('eastWestGateway'));
  assert.match(
    line('two')!,
    /^- \[x\] other clusters send here: .*`topology\.istio\.io\/network: net-two`.* as `eastWestGateway` of the cluster in the spec: `gw\.two\.example:443`$/,
  );
  assert.match(line('three')!, /^- \[ \] other clusters send here: .*`topology\.istio\.io\/network: three`.* in the spec$/);
  assert.is(line('four'), undefined, 'four receives nothing from another cluster');
});

test('the gateway setting is checked: address kind, port range, unknown fields, one value per cluster', () => {
  const withGateway = (gateway: string) => SPEC.replace('eastWestGateway: { address: 203.0.113.1 }', `eastWestGateway: ${gateway}`);
  const errors = (text: string) =>
    loadOne(text)
      .diagnostics.filter((d) => d.severity === 'error')
      .map((d) => `${d.code} ${d.field}`);
  assert.equal(errors(withGateway('{ address: 10.0.0.256 }')), ['invalid-value spec.actors.own.cluster.eastWestGateway.address']);
  assert.equal(errors(withGateway('{ address: Gateway.Example }')), ['invalid-value spec.actors.own.cluster.eastWestGateway.address']);
  assert.equal(errors(withGateway('{ address: "gw_1.example" }')), ['invalid-value spec.actors.own.cluster.eastWestGateway.address']);
  assert.equal(errors(withGateway('{ address: "2001:db8::1" }')), []);
  assert.equal(errors(withGateway('{ address: gw.one.example, port: 0 }')), ['invalid-value spec.actors.own.cluster.eastWestGateway.port']);
  assert.equal(errors(withGateway('{ address: gw.one.example, port: 65536 }')), ['invalid-value spec.actors.own.cluster.eastWestGateway.port']);
  assert.equal(errors(withGateway('{ port: 15443 }')), ['missing-field spec.actors.own.cluster.eastWestGateway']);
  assert.equal(errors(withGateway('{ address: gw.one.example, tls: true }')), ['unknown-field spec.actors.own.cluster.eastWestGateway.tls']);
  // Two actors on one cluster: the same mapping (keys in any order) agrees, another value conflicts.
  const shared = (a: string, b: string) =>
    SPEC.replace(
      'cluster: { name: two, trustDomain: mesh.two.example, eastWestGateway: { address: gw.two.example, port: 443, network: net-two } }',
      `cluster: { name: two, eastWestGateway: ${a} }`,
    ).replace('cluster: { name: three, trustDomain: mesh.three.example }', `cluster: { name: two, eastWestGateway: ${b} }`);
  assert.equal(errors(shared('{ address: gw.two.example, port: 443 }', '{ port: 443, address: gw.two.example }')), []);
  assert.equal(errors(shared('{ address: gw.two.example, port: 443 }', '{ address: gw.two.example }')), [
    'cluster-conflict spec.actors.solo.cluster.eastWestGateway',
  ]);
});

test.run();
