/**
 * PREREQUISITES.md beside each cluster tree: what its administrator provides first, with the
 * exact commands and objects, written for that organisation alone.
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

test('every cluster has its PREREQUISITES.md, outside its kustomization', () => {
  const docs = [...files.keys()].filter((f) => f.endsWith('/PREREQUISITES.md'));
  assert.equal(
    docs,
    ['color-central', 'hdr-west', 'shared-eu', 'site-boston', 'sound-west', 'sponsor-prod', 'studio-central', 'vfx-central'].map(
      (c) => `clusters/${c}/PREREQUISITES.md`,
    ),
  );
  for (const f of docs) assert.not.match(files.get(f.replace('PREREQUISITES.md', 'kustomization.yaml'))!, /PREREQUISITES/);
});

test("a contractor's file names only its own actors and its mesh peers; no signing key", () => {
  const text = files.get('clusters/vfx-central/PREREQUISITES.md')!;
  assert.match(text, 'actors here: vfx (workflow movie-post-production)');
  for (const peer of ['color-central', 'sound-west', 'studio-central']) assert.match(text, `\`${peer}\``);
  for (const other of ['hdr-west', 'hdr', 'clinical', 'sponsor', 'shared-eu', 'site-boston', 'owner'])
    assert.not.match(text, new RegExp(`\\b${other}\\b`), other);
  assert.not.match(text, 'custody-bundle-signing-key');
  assert.match(text, 'helm upgrade --install istiod istio/istiod -n istio-system -f generated/clusters/vfx-central/istiod-values.yaml -f <your own values>');
  assert.match(text, '- [ ] the public root certificate of this mesh as `keys/roots/vfx-central.pem` (never its private key)');
});

test("the owner's file has the exact command for the signing-key Secret", () => {
  const text = files.get('clusters/studio-central/PREREQUISITES.md')!;
  assert.match(
    text,
    '\nkubectl -n custody-system create secret generic custody-bundle-signing-key --from-file=private-key.pem=.custody/keys/custody-example.key.pem\n',
  );
});

test("the StorageClass examples are StorageClasses of the named class with each provisioner's encryption parameters", () => {
  const text = files.get('clusters/hdr-west/PREREQUISITES.md')!;
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
  }).files.get('clusters/partner-main/PREREQUISITES.md')!;
  assert.match(
    text,
    "- [x] the issuer of this cluster's ServiceAccount tokens as `tokenIssuer` of the cluster in the spec (`kubectl get --raw /.well-known/openid-configuration` shows it): `https://issuer.partner.example`",
  );
  assert.match(text, '- [x] its key set: `tokenJwksUrl`, or `kubectl get --raw /openid/v1/jwks > keys/jwks/partner-main.json` committed');
  assert.match(text, '- [x] the public root certificate of this mesh as `keys/roots/partner-main.pem` (never its private key): SHA-256 `AB:CD`');
  assert.match(text, '## 2. The encrypted StorageClass `gp3-encrypted`');
  assert.match(text, '- ServiceAccount `custody-reconciler` in `flux-system`');
  assert.match(text, 'Kustomizations in `flux-system` this tree waits for: `istio`.');
});

test.run();
