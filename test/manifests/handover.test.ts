/**
 * HANDOVER.md beside each cluster tree: the page its organisation receives (what to install and
 * configure, the repository access, the one command to apply, what to send back), with the exact
 * commands and objects, written for that organisation alone; and the agent settings it lists.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { renderManifests } from '../../src/manifests/index.js';
import { exampleWorkflows, loadOne } from '../helpers/workflows.js';

const INPUTS = {
  keys: [{ id: 'custody-example', algorithm: 'RS256', publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }],
  activeKeyId: 'custody-example',
  version: '0.1.0',
};
const files = renderManifests(exampleWorkflows(), INPUTS).files;

test('every cluster has its HANDOVER.md, outside its kustomization', () => {
  const docs = [...files.keys()].filter((f) => f.endsWith('/HANDOVER.md'));
  assert.equal(
    docs,
    ['color-central', 'hdr-west', 'shared-eu', 'site-boston', 'sound-west', 'sponsor-prod', 'studio-central', 'vfx-central'].map(
      (c) => `clusters/${c}/HANDOVER.md`,
    ),
  );
  for (const f of docs) assert.not.match(files.get(f.replace('HANDOVER.md', 'kustomization.yaml'))!, /HANDOVER/);
});

test("a contractor's file names only its own actors and its mesh peers; no signing key", () => {
  const text = files.get('clusters/vfx-central/HANDOVER.md')!;
  assert.match(text, 'actors here: vfx (workflow movie-post-production)');
  for (const peer of ['color-central', 'sound-west', 'studio-central']) assert.match(text, `\`${peer}\``);
  for (const other of ['hdr-west', 'hdr', 'clinical', 'sponsor', 'shared-eu', 'site-boston']) assert.not.match(text, new RegExp(`\\b${other}\\b`), other);
  // The studio's agent `owner` is not vfx's business (the word owner, for the workflow's owner, is).
  assert.not.match(text, /`owner`|\| owner \|/);
  assert.not.match(text, 'custody-bundle-signing-key');
  assert.match(text, 'helm upgrade --install istiod istio/istiod -n istio-system -f generated/clusters/vfx-central/istiod-values.yaml -f <your own values>');
  assert.match(text, '- [ ] the public root certificate of this mesh as `keys/roots/vfx-central.pem` (never its private key)');
});

test("the owner's file has the exact command for the signing-key Secret", () => {
  const text = files.get('clusters/studio-central/HANDOVER.md')!;
  assert.match(
    text,
    '\nkubectl -n custody-system create secret generic custody-bundle-signing-key --from-file=private-key.pem=.custody/keys/custody-example.key.pem\n',
  );
});

test("the StorageClass examples are StorageClasses of the named class with each provisioner's encryption parameters", () => {
  const text = files.get('clusters/hdr-west/HANDOVER.md')!;
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map(
    (m) =>
      parse(m[1]!.replace(/^ {2}/gm, '')) as {
        kind: string;
        metadata: { name: string };
        provisioner: string;
        parameters: Record<string, string>;
        reclaimPolicy: string;
      },
  );
  assert.equal(
    blocks.map((b) => [b.kind, b.metadata.name, b.provisioner, b.reclaimPolicy]),
    [
      ['StorageClass', 'custody-encrypted', 'pd.csi.storage.gke.io', 'Retain'],
      ['StorageClass', 'custody-encrypted', 'ebs.csi.aws.com', 'Retain'],
      ['StorageClass', 'custody-encrypted', 'disk.csi.azure.com', 'Retain'],
    ],
  );
  assert.is(blocks[0]!.parameters['disk-encryption-kms-key'], 'projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>');
  assert.equal([blocks[1]!.parameters.encrypted, blocks[1]!.parameters.kmsKeyId], ['true', 'arn:aws:kms:<region>:<account>:key/<key-id>']);
  assert.is(
    blocks[2]!.parameters.diskEncryptionSetID,
    '/subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Compute/diskEncryptionSets/<set>',
  );
});

test("what is already published is ticked; a cluster's own class and Flux settings are named", () => {
  const spec = `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata: { name: prereq }
spec:
  owner: lab
  actors:
    lab:
      cluster: { name: lab-main, trustDomain: lab.example }
      agents:
        a: { image: registry.example/a:1.0 }
    partner:
      cluster: { name: partner-main, trustDomain: partner.example, storageClass: gp3-encrypted, tokenIssuer: "https://issuer.partner.example", fluxServiceAccount: custody-reconciler, fluxDependsOn: [istio] }
      agents:
        b: { image: registry.example/b:1.0 }
  flows:
    - { from: a, to: b, methods: [GET], path: /x }
`;
  const r = loadOne(spec);
  const text = renderManifests(r.workflows, {
    ...INPUTS,
    jwks: new Map([['partner-main', { json: '{}' }]]),
    roots: new Map([['partner-main', { pem: 'x', fingerprint: 'AB:CD' }]]),
  }).files.get('clusters/partner-main/HANDOVER.md')!;
  assert.match(
    text,
    "- [x] the issuer of this cluster's ServiceAccount tokens as `tokenIssuer` of the cluster in the spec (`kubectl get --raw /.well-known/openid-configuration` shows it): `https://issuer.partner.example`",
  );
  assert.match(text, '- [x] its key set: `tokenJwksUrl`, or `kubectl get --raw /openid/v1/jwks > keys/jwks/partner-main.json` committed');
  assert.match(text, '- [x] the public root certificate of this mesh as `keys/roots/partner-main.pem` (never its private key): SHA-256 `AB:CD`');
  assert.match(text, '## 3. The encrypted StorageClass `gp3-encrypted`');
  assert.match(text, '- ServiceAccount `custody-reconciler` in `flux-system`');
  assert.match(text, 'Kustomizations in `flux-system` this tree waits for: `istio`.');
});

const SETTINGS = `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata: { name: handover }
spec:
  owner: lab
  repository: "https://git.lab.example/ops/custody.git"
  actors:
    lab:
      cluster: { name: lab-main, trustDomain: lab.example }
      agents:
        a: { image: registry.example/a:1.0 }
    partner:
      cluster: { name: partner-main, trustDomain: partner.example, istioCni: false }
      agents:
        b:
          image: registry.partner.example/b:2.0
          imagePullSecrets: [partner-registry]
          resources: { requests: { cpu: 250m, memory: 1Gi }, limits: { memory: 4Gi } }
  flows:
    - { from: a, to: b, methods: [GET], path: /x }
`;

test('agent settings: pull secrets and resources reach the Deployment; what is not given keeps its default', () => {
  const r = loadOne(SETTINGS);
  assert.equal(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const out = renderManifests(r.workflows, INPUTS).files;
  const b = parse(out.get('clusters/partner-main/handover/b/deployment.yaml')!) as {
    spec: { template: { spec: { imagePullSecrets?: { name: string }[]; containers: { name: string; resources: unknown }[] } } };
  };
  assert.equal(b.spec.template.spec.imagePullSecrets, [{ name: 'partner-registry' }]);
  assert.equal(b.spec.template.spec.containers[0]!.resources, {
    limits: { cpu: '1', 'ephemeral-storage': '256Mi', memory: '4Gi' },
    requests: { cpu: '250m', 'ephemeral-storage': '64Mi', memory: '1Gi' },
  });
  const a = parse(out.get('clusters/lab-main/handover/a/deployment.yaml')!) as typeof b;
  assert.is(a.spec.template.spec.imagePullSecrets, undefined);
  assert.equal(a.spec.template.spec.containers[0]!.resources, {
    limits: { cpu: '1', 'ephemeral-storage': '256Mi', memory: '512Mi' },
    requests: { cpu: '100m', 'ephemeral-storage': '64Mi', memory: '128Mi' },
  });
});

test('a resource that is not a Kubernetes quantity is an error at its line, with the fix', () => {
  const r = loadOne(SETTINGS.replace('memory: 4Gi', 'memory: 4GB'));
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(
    errors.map((d) => [d.line, d.field, d.hint]),
    [[18, 'spec.actors.partner.agents.b.resources.limits.memory', 'write a Kubernetes quantity such as 512Mi or 4Gi']],
  );
});

test('the hand-over page: mesh settings, CNI, image constraints, pull secrets, repository access, the one command, what to send back', () => {
  const text = renderManifests(loadOne(SETTINGS).workflows, INPUTS).files.get('clusters/partner-main/HANDOVER.md')!;
  assert.match(text, '# Cluster `partner-main`: what to set up, apply and send back\n');
  assert.match(text, '- trust domain `partner.example`, the domain of every SPIFFE identity of the agents here;');
  assert.match(
    text,
    '- the extension provider `opa-ext-authz-grpc`: ext_authz over gRPC to the pod-local OPA (`opa-ext-authz-grpc.local:9191`), timeout `2s`, failing closed;',
  );
  assert.match(text, '- Without the Istio CNI plugin (`istioCni: false` in the spec)');
  assert.match(text, 'Every container runs as user and group 10001 (non-root), on a read-only root filesystem');
  assert.match(
    text,
    '| handover | b | `registry.partner.example/b:2.0` | 8080 | cpu 250m, memory 1Gi, ephemeral-storage 64Mi | cpu 1, memory 4Gi, ephemeral-storage 256Mi | `partner-registry` |',
  );
  assert.match(
    text,
    'kubectl -n handover create secret docker-registry partner-registry --docker-server=<registry> --docker-username=<user> --docker-password=<token>',
  );
  assert.match(
    text,
    'Argo CD or Flux in this cluster reads `https://git.lab.example/ops/custody.git`, branch `main`, path `generated/clusters/partner-main` only.',
  );
  assert.match(text, '\nkubectl apply -k generated/argocd/partner-main   # with Argo CD\nkubectl apply -k generated/flux/partner-main     # or with Flux\n');
  assert.match(text, '## 7. What to send back to the owner');
  // Written for this organisation alone: the owner's agent and image appear nowhere.
  assert.not.match(text, 'registry.example/a:1.0');
  assert.not.match(text, /\| a \|/);
});

test.run();
