/**
 * The images the generated Deployments run are the versions this repository tests: the OPA
 * sidecar is opa-envoy-plugin's image for the release scripts/install-tools.sh builds, the bundle
 * server is this package's release; a cluster may choose others, and then those are rendered.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { renderManifests } from '../../src/manifests/index.js';
import { repoPath } from '../helpers/paths.js';
import { loadOne } from '../helpers/workflows.js';

const script = readFileSync(repoPath('scripts', 'install-tools.sh'), 'utf8');
const scriptValue = (name: string) => {
  const m = new RegExp(`^${name}="([^"]+)"`, 'm').exec(script);
  if (!m) throw new Error(`scripts/install-tools.sh sets no ${name}`);
  return m[1]!;
};

interface Container {
  name: string;
  image: string;
}
interface Deployment {
  kind: string;
  metadata: { name: string };
  spec: { template: { spec: { containers: Container[] } } };
}

/** Every Deployment in the committed generated/ tree, by file. */
function committedDeployments(): { file: string; deployment: Deployment }[] {
  const out: { file: string; deployment: Deployment }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'deployment.yaml') out.push({ file: path.relative(repoPath(), p), deployment: parse(readFileSync(p, 'utf8')) as Deployment });
    }
  };
  walk(repoPath('generated', 'clusters'));
  return out;
}

test('the OPA image tag of every generated Deployment is the opa-envoy-plugin release the tests build', () => {
  const opaVersion = scriptValue('ENVOY_OPA_VERSION');
  // Release v<X>-envoy is published as image tag <X>-envoy (opa-envoy-plugin's Makefile and RELEASE.md).
  assert.is(scriptValue('ENVOY_VERSION'), `v${opaVersion}-envoy`, 'the release the script builds is the plain <opa>-envoy one');
  const agents = committedDeployments().filter((d) => d.deployment.spec.template.spec.containers.some((c) => c.name === 'opa'));
  assert.ok(agents.length >= 13, `only ${agents.length} agent Deployments found`);
  for (const { file, deployment } of agents) {
    const opa = deployment.spec.template.spec.containers.find((c) => c.name === 'opa')!;
    assert.is(opa.image, `openpolicyagent/opa:${opaVersion}-envoy`, file);
  }
  assert.is(opaVersion, '1.15.2');
});

test("the bundle server image is this package's release", () => {
  const version = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version;
  const servers = committedDeployments().filter((d) => d.deployment.metadata.name === 'custody-bundle-server');
  assert.ok(servers.length >= 2, "the owners' clusters run a bundle server");
  for (const { file, deployment } of servers) assert.is(deployment.spec.template.spec.containers[0]!.image, `ghcr.io/custody-dev/custody:${version}`, file);
});

const SPEC = (extra: string) => `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata: { name: images }
spec:
  owner: lab
  actors:
    lab:
      cluster: { name: lab-main${extra} }
      agents:
        a: { image: registry.example/a:1.0 }
        b: { image: registry.example/b:1.0 }
  flows:
    - { from: a, to: b, methods: [GET], path: /x }
`;

test('a cluster chooses its OPA and bundle server images', () => {
  const r = loadOne(
    SPEC(
      ', opaImage: "registry.example/opa:1.16.0-envoy-2", serverImage: "registry.example/custody@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"',
    ),
  );
  assert.equal(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const inputs = {
    keys: [{ id: 'k1', algorithm: 'RS256', publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }],
    activeKeyId: 'k1',
    version: '9.9.9',
  };
  const files = renderManifests(r.workflows, inputs).files;
  const opa = (parse(files.get('clusters/lab-main/images/a/deployment.yaml')!) as Deployment).spec.template.spec.containers.find((c) => c.name === 'opa')!;
  assert.is(opa.image, 'registry.example/opa:1.16.0-envoy-2');
  const server = parse(files.get('clusters/lab-main/custody-system/deployment.yaml')!) as Deployment;
  assert.is(server.spec.template.spec.containers[0]!.image, 'registry.example/custody@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');

  const defaults = renderManifests(loadOne(SPEC('')).workflows, inputs).files;
  assert.is(
    (parse(defaults.get('clusters/lab-main/custody-system/deployment.yaml')!) as Deployment).spec.template.spec.containers[0]!.image,
    'ghcr.io/custody-dev/custody:9.9.9',
  );
});

test('an image that is not an image reference is refused at its field', () => {
  const r = loadOne(SPEC(', opaImage: "opa latest"'));
  const e = r.diagnostics.find((d) => d.severity === 'error')!;
  assert.is(e.field, 'spec.actors.lab.cluster.opaImage');
  assert.is(e.code, 'invalid-value');
  assert.match(e.hint!, 'openpolicyagent/opa:1.15.2-envoy');
});

test.run();
