/** `check` and `generate` warn, naming the cluster and the flows, when a receiving cluster published no east-west gateway. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkInputs } from '../../src/cli/workflows.js';

const SPEC = `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata:
  name: ew
spec:
  owner: own
  actors:
    own:
      cluster: { name: one, trustDomain: mesh.one.example }
      agents:
        src: { image: registry.example/src:1.0 }
        local: { image: registry.example/local:1.0 }
    part:
      cluster: { name: two, trustDomain: mesh.two.example }
      agents:
        dst: { image: registry.example/dst:1.0 }
  flows:
    - { from: src, to: local, methods: [POST], path: /a }
    - { from: src, to: dst, methods: [POST], path: /b }
    - { from: dst, to: src, methods: [GET], path: /c }
    - { from: local, to: dst, methods: [PUT], path: /d }
`;

const warnings = (text: string) => checkInputs([{ file: 'workflows/ew.yaml', text }]).diagnostics.filter((d) => d.code === 'no-east-west-gateway');

test('a warning per receiving cluster without a gateway, naming its cross-cluster flows (not the local one)', () => {
  const found = warnings(SPEC);
  assert.equal(
    found.map((d) => [d.severity, d.line, d.column, d.field, d.message, d.hint]),
    [
      [
        'warning',
        9,
        24,
        'spec.actors.own.cluster.name',
        // one is also the owner's cluster: two's sidecars fetch their bundles from its server.
        'cluster "one" has no east-west gateway address, so requests from other clusters cannot reach it: dst -> src (spec.flows[2]) cannot be routed; the sidecars of "two" fetch their bundles from its server through the mesh and never get one',
        'ask one\'s organisation for the address and port at which other clusters reach its east-west gateway, and add eastWestGateway: { address: <IP or DNS name>, port: 15443 } to its cluster (or set bundleServer of "two" to a URL the owner publishes for its bundle server)',
      ],
      [
        'warning',
        14,
        24,
        'spec.actors.part.cluster.name',
        'cluster "two" has no east-west gateway address, so requests from other clusters cannot reach it: src -> dst (spec.flows[1]), local -> dst (spec.flows[3]) cannot be routed',
        "ask two's organisation for the address and port at which other clusters reach its east-west gateway, and add eastWestGateway: { address: <IP or DNS name>, port: 15443 } to its cluster",
      ],
    ],
  );
});

test("an owner's cluster that receives no flow is still named while other clusters fetch bundles from it through the mesh", () => {
  const noReturn = SPEC.replace('    - { from: dst, to: src, methods: [GET], path: /c }\n', '');
  assert.equal(
    warnings(noReturn).map((d) => [d.field, d.message]),
    [
      [
        'spec.actors.own.cluster.name',
        'cluster "one" has no east-west gateway address, so requests from other clusters cannot reach it: the sidecars of "two" fetch their bundles from its server through the mesh and never get one',
      ],
      [
        'spec.actors.part.cluster.name',
        'cluster "two" has no east-west gateway address, so requests from other clusters cannot reach it: src -> dst (spec.flows[1]), local -> dst (spec.flows[2]) cannot be routed',
      ],
    ],
  );
  // Fetching from a URL outside the mesh: nothing is lost through one's gateway.
  const outside = noReturn.replace('trustDomain: mesh.two.example }', 'trustDomain: mesh.two.example, bundleServer: "https://bundles.one.example" }');
  assert.equal(
    warnings(outside).map((d) => d.field),
    ['spec.actors.part.cluster.name'],
  );
});

test('no warning once the receiving clusters have published their gateways, and none is an error', () => {
  const published = SPEC.replace('trustDomain: mesh.one.example }', 'trustDomain: mesh.one.example, eastWestGateway: { address: 203.0.113.1 } }');
  assert.equal(
    warnings(published).map((d) => d.field),
    ['spec.actors.part.cluster.name'],
  );
  const both = published.replace('trustDomain: mesh.two.example }', 'trustDomain: mesh.two.example, eastWestGateway: { address: gw.two.example } }');
  assert.equal(warnings(both), []);
  assert.is(checkInputs([{ file: 'workflows/ew.yaml', text: SPEC }]).errors, 0);
});

test.run();
