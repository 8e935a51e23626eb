/**
 * ServiceAccount tokens from a real issuer: the API server mints a projected token for hdr's
 * ServiceAccount (TokenRequest, audience custody-bundle-server, as the generated Deployment's
 * projected volume asks); the bundle server is configured with that cluster's issuer and the JWKS
 * the API server publishes at /openid/v1/jwks, fetched with a ServiceAccount that holds nothing
 * but `system:service-account-issuer-discovery`. It serves hdr its own bundle and refuses the
 * rest: another agent's bundle, a token for another audience, a token of another issuer.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyObjects } from '../../src/cluster/apply.js';
import { clusterTree, treeObjects } from '../../src/cluster/tree.js';
import { startControlPlane, type ControlPlane } from '../helpers/control-plane.js';
import { REPO } from '../helpers/paths.js';
import { startTestServer } from '../helpers/server.js';

const NS = 'movie-post-production';

async function mint(plane: ControlPlane, namespace: string, name: string, audiences: string[]): Promise<string> {
  const core = plane.client.kubeConfig.makeApiClient(CoreV1Api);
  const r = await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences, expirationSeconds: 600 } } });
  return r.status!.token;
}

test('the bundle server trusts the cluster issuer: hdr gets its own bundle, and nothing else passes', async () => {
  const plane = await startControlPlane({ context: 'hdr-west', crds: true });
  const other = await startControlPlane({ context: 'elsewhere', crds: false });
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  try {
    assert.equal(
      (await applyObjects(plane.client, treeObjects(clusterTree(REPO, 'hdr-west')))).filter((r) => r.error),
      [],
    );
    // A reader of the issuer's keys with no other right: the ClusterRole every cluster has.
    const c = plane.client;
    await c.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'jwks-reader', namespace: 'custody-system' } });
    await c.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'custody-jwks-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:service-account-issuer-discovery' },
      subjects: [{ kind: 'ServiceAccount', name: 'jwks-reader', namespace: 'custody-system' }],
    });
    // Its token is for the API server itself (the default API audience is the issuer).
    const readerToken = await mint(plane, 'custody-system', 'jwks-reader', [plane.issuer]);
    const ca = plane.caFile;
    const jwksResponse = await fetchWithCa(`${plane.server}/openid/v1/jwks`, readerToken, ca);
    assert.is(jwksResponse.status, 200, 'the discovery role may read the keys');
    const jwks = JSON.parse(jwksResponse.body) as { keys: { kid: string }[] };
    assert.ok(jwks.keys.length >= 1);
    assert.is((await fetchWithCa(`${plane.server}/api/v1/namespaces`, readerToken, ca)).status, 403, 'and nothing else');

    const discovery = JSON.parse((await fetchWithCa(`${plane.server}/.well-known/openid-configuration`, readerToken, ca)).body) as { issuer: string };
    assert.is(discovery.issuer, plane.issuer);

    const jwksFile = path.join(plane.dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify(jwks));
    server = await startTestServer({ clusters: [{ cluster: 'hdr-west', issuer: discovery.issuer, jwksFile }] });
    const get = (agent: string, token: string) =>
      fetch(`${server!.server.url}/bundles/${NS}/${agent}.tar.gz`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

    const hdrToken = await mint(plane, NS, 'hdr', ['custody-bundle-server']);
    assert.is(await get('hdr', hdrToken), 200, "hdr's projected token fetches hdr's bundle");
    assert.is(await get('color', hdrToken), 403, "but not color's");
    assert.is(await get('hdr', await mint(plane, NS, 'hdr', ['some-other-audience'])), 401, 'a token for another audience is refused');
    await other.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await other.client.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'hdr', namespace: NS } });
    assert.is(await get('hdr', await mint(other, NS, 'hdr', ['custody-bundle-server'])), 401, 'the same name from another cluster is refused');
  } finally {
    await server?.server.close();
    await other.stop();
    await plane.stop();
  }
});

/** The API server's certificate is signed by the test's own CA: trust it for this request only. */
async function fetchWithCa(url: string, token: string, caFile: string): Promise<{ status: number; body: string }> {
  const { request } = await import('node:https');
  const { readFileSync } = await import('node:fs');
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: readFileSync(caFile), headers: { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test.run();
