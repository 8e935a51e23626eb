/**
 * Each cluster's mesh configuration (Helm values of istiod): its own trust domain, each peer
 * organisation's root bound to that peer's trust domain, the pod-local OPA provider; and the
 * roots as committed under keys/roots/: public certificates of certificate authorities only.
 */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { KeysError, parseRoots, readKeys } from '../../src/keys/index.js';
import { istiodValues, missingPeerRoots, renderManifests, topology } from '../../src/manifests/index.js';
import { repoPath } from '../helpers/paths.js';
import { exampleWorkflows } from '../helpers/workflows.js';
import { exampleInputs } from './helpers.js';

const fixture = (name: string) => readFileSync(repoPath('test', 'fixtures', 'roots', name), 'utf8');
const roots = () =>
  parseRoots(
    new Map([
      ['studio-central.pem', fixture('studio-central.pem')],
      ['vfx-central.pem', fixture('vfx-central.pem')],
    ]),
  );

// Fields of istio.mesh.v1alpha1.MeshConfig and its messages (istio/api mesh/v1alpha1/config.proto) that
// the values use: a misspelt field would be ignored by istiod, not rejected.
const MESH_FIELDS = new Set(['trustDomain', 'defaultConfig', 'caCertificates', 'extensionProviders']);
const CERTIFICATE_DATA_FIELDS = new Set(['pem', 'spiffeBundleUrl', 'certSigners', 'trustDomains']);
const GRPC_PROVIDER_FIELDS = new Set(['service', 'port', 'timeout', 'failOpen', 'statusOnError', 'includeRequestBodyInCheck']);

test('the fingerprint of a root is the one openssl prints, and a root is read from keys/roots/', async () => {
  const r = roots();
  assert.is(r.get('vfx-central')!.fingerprint, '58:C2:62:68:5D:E9:46:E6:F7:CA:99:04:2D:15:78:69:06:27:EE:2E:D4:A8:AA:9F:14:A6:E8:5E:84:C9:53:51');
  assert.is(r.get('studio-central')!.fingerprint, 'C1:CC:88:ED:8B:81:55:C4:60:ED:1B:F4:59:DE:0C:FC:83:30:50:7C:AA:EF:13:0A:5D:62:E0:0A:E4:EB:31:23');
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-roots-'));
  cpSync(repoPath('keys'), dir, { recursive: true });
  cpSync(repoPath('test', 'fixtures', 'roots', 'vfx-central.pem'), path.join(dir, 'roots', 'vfx-central.pem'), { recursive: true });
  const keys = await readKeys(dir);
  assert.equal([...(keys.roots?.keys() ?? [])], ['vfx-central']);
});

test('a root holding a private key, a workload certificate, or anything but certificates is refused', () => {
  const refuse = (name: string, text: string, pattern: RegExp) => {
    try {
      parseRoots(new Map([[name, text]]));
    } catch (err) {
      assert.instance(err, KeysError);
      assert.match((err as Error).message, pattern);
      return;
    }
    assert.unreachable(`${name} accepted`);
  };
  const key = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
  refuse('vfx-central.pem', fixture('vfx-central.pem') + key, /holds a private key; remove it from the repository at once, rotate/);
  refuse('vfx-central.pem', fixture('leaf.pem'), /is not a certificate authority/);
  refuse('vfx-central.pem', `${fixture('vfx-central.pem')}trailing text\n`, /must hold only PEM certificates/);
  refuse('vfx-central.pem', '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n', /must hold only PEM certificates/);
  refuse('VFX.pem', fixture('vfx-central.pem'), /named after its cluster/);
});

test("each cluster trusts exactly its peers' roots, each for its own trust domain, and names the gaps", async () => {
  const topo = topology(exampleWorkflows());
  const text = istiodValues(topo, topo.cluster('color-central'), roots());
  const values = parse(text) as { meshConfig: Record<string, unknown> };
  const mesh = values.meshConfig as {
    trustDomain: string;
    caCertificates: { pem: string; trustDomains: string[] }[];
    extensionProviders: { name: string; envoyExtAuthzGrpc: Record<string, unknown> }[];
  };
  assert.equal(Object.keys(values), ['global', 'meshConfig']);
  // Its own Istio network, and the DNS proxy that resolves the hosts of agents in other clusters.
  assert.equal((values as unknown as { global: unknown }).global, { network: 'color-central' });
  assert.equal((mesh as unknown as { defaultConfig: unknown }).defaultConfig, {
    proxyMetadata: { ISTIO_META_DNS_CAPTURE: 'true', ISTIO_META_DNS_AUTO_ALLOCATE: 'true' },
  });
  for (const k of Object.keys(mesh)) assert.ok(MESH_FIELDS.has(k), `meshConfig.${k}`);
  assert.is(mesh.trustDomain, 'mesh.color.example');
  // color-central receives from vfx-2 and sends to hdr; its sidecars fetch bundles from the studio.
  assert.equal(
    mesh.caCertificates.map((c) => c.trustDomains),
    [['mesh.studio.example'], ['mesh.vfx.example']],
  );
  assert.is(mesh.caCertificates[1]!.pem, fixture('vfx-central.pem'));
  for (const c of mesh.caCertificates) for (const k of Object.keys(c)) assert.ok(CERTIFICATE_DATA_FIELDS.has(k), `caCertificates[].${k}`);
  assert.equal(mesh.extensionProviders, [
    {
      name: 'opa-ext-authz-grpc',
      envoyExtAuthzGrpc: { service: 'opa-ext-authz-grpc.local', port: 9191, timeout: '2s', failOpen: false, statusOnError: '403' },
    },
  ]);
  for (const k of Object.keys(mesh.extensionProviders[0]!.envoyExtAuthzGrpc)) assert.ok(GRPC_PROVIDER_FIELDS.has(k), `envoyExtAuthzGrpc.${k}`);
  assert.match(text, /# Root of vfx-central \(trust domain mesh\.vfx\.example\): SHA-256 58:C2:62:68/);
  assert.match(text, /# GAP: no root certificate for peer cluster hdr-west \(trust domain mesh\.hdr\.example\)/);
  assert.not.match(text, /sound-west/, 'color never talks to sound: its root is not trusted here');
  assert.not.match(text, /PRIVATE/);
});

test('the values file is written beside each cluster tree, outside its kustomization', async () => {
  const tree = renderManifests(exampleWorkflows(), await exampleInputs());
  const files = [...tree.files.keys()].filter((f) => f.endsWith('/istiod-values.yaml'));
  assert.equal(
    files,
    ['color-central', 'hdr-west', 'shared-eu', 'site-boston', 'sound-west', 'sponsor-prod', 'studio-central', 'vfx-central'].map(
      (c) => `clusters/${c}/istiod-values.yaml`,
    ),
  );
  for (const f of files) assert.not.match(tree.files.get(f.replace('istiod-values.yaml', 'kustomization.yaml'))!, /istiod-values/);
});

test('missing peer roots: one finding per workflow and cluster, naming who must trust it', () => {
  const topo = topology(exampleWorkflows());
  const gaps = missingPeerRoots(topo, new Set(['studio-central', 'vfx-central', 'color-central', 'sponsor-prod', 'site-boston']));
  assert.equal(gaps, [
    { workflow: 'clinical-trial-analysis', cluster: 'shared-eu', trustedBy: ['site-boston', 'sponsor-prod'] },
    { workflow: 'movie-post-production', cluster: 'hdr-west', trustedBy: ['color-central', 'studio-central'] },
    { workflow: 'movie-post-production', cluster: 'sound-west', trustedBy: ['studio-central', 'vfx-central'] },
  ]);
});

test.run();
