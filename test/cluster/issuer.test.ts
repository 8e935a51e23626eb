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
import { startTestServer, type TestServer } from '../helpers/server.js';

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
    // Istio's installation makes istio-system; the tree's east-west gateway objects live there.
    await plane.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
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

test("the owner's own cluster: the server fetches /openid/v1/jwks with its ServiceAccount's token and the cluster CA, and says why it cannot without", async () => {
  const plane = await startControlPlane({ context: 'studio-central', crds: false });
  const servers: Awaited<ReturnType<typeof startTestServer>>[] = [];
  try {
    const c = plane.client;
    for (const name of ['custody-system', NS]) await c.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    await c.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'custody-bundle-server', namespace: 'custody-system' } });
    await c.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'owner', namespace: NS } });
    // Kubernetes binds the discovery role to every ServiceAccount by default; an administrator may
    // remove that binding, and then only the generated one below lets the server read the keys.
    await c.remove({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:service-account-issuer-discovery' },
    });
    // The binding the generator writes for the owner's server: the discovery role and nothing else.
    await c.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'custody-bundle-server-issuer-discovery' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:service-account-issuer-discovery' },
      subjects: [{ kind: 'ServiceAccount', name: 'custody-bundle-server', namespace: 'custody-system' }],
    });
    // As the projected volume gives it: audience the API server's default (its issuer), short-lived.
    const tokenFile = path.join(plane.dir, 'jwks-token');
    writeFileSync(tokenFile, await mint(plane, 'custody-system', 'custody-bundle-server', [plane.issuer]));
    const jwksUrl = `${plane.server}/openid/v1/jwks`;
    const start = async (extra: Record<string, string>) => {
      const s = await startTestServer({ clusters: [{ cluster: 'studio-central', issuer: plane.issuer, jwksUrl, ...extra }] });
      servers.push(s);
      return s;
    };
    const get = (s: TestServer, token: string) =>
      fetch(`${s.server.url}/bundles/${NS}/owner.tar.gz`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    // The owner's agent runs in this cluster: its projected token, as its sidecar presents it.
    const ownerToken = await mint(plane, NS, 'owner', ['custody-bundle-server']);

    const authenticated = await start({ jwksTokenFile: tokenFile, jwksCaFile: plane.caFile });
    assert.is(await get(authenticated, ownerToken), 200, "with the server's token and the cluster CA, the owner agent's projected token is accepted");

    // Without the token, the API server refuses the anonymous caller; the sidecar gets a 503 and the log says why.
    const anonymous = await start({ jwksCaFile: plane.caFile });
    assert.is(await get(anonymous, ownerToken), 503);
    const refused = anonymous.logs.filter((l) => l.includes('cannot fetch its token keys'));
    assert.is(refused.length, 1, anonymous.logs.join('\n'));
    assert.match(
      refused[0]!,
      /cluster studio-central: cannot fetch its token keys from https:\/\/127\.0\.0\.1:\d+\/openid\/v1\/jwks: HTTP 40[13]: this URL answers only an authenticated caller; set jwksTokenFile/,
    );

    // A token of a ServiceAccount without the binding is refused too, and the log names the binding.
    await c.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'unbound', namespace: 'custody-system' } });
    const unboundFile = path.join(plane.dir, 'unbound-token');
    writeFileSync(unboundFile, await mint(plane, 'custody-system', 'unbound', [plane.issuer]));
    const unbound = await start({ jwksTokenFile: unboundFile, jwksCaFile: plane.caFile });
    assert.is(await get(unbound, ownerToken), 503);
    assert.ok(
      unbound.logs.some((l) =>
        /HTTP 403: the token of jwksTokenFile was refused; bind the server's ServiceAccount to the ClusterRole system:service-account-issuer-discovery/.test(l),
      ),
      unbound.logs.join('\n'),
    );

    // Without the cluster CA the API server's certificate is not trusted, and the log says which file to set.
    const untrusted = await start({ jwksTokenFile: tokenFile });
    assert.is(await get(untrusted, ownerToken), 503);
    assert.ok(
      untrusted.logs.some((l) => /set jwksCaFile to its CA/.test(l)),
      untrusted.logs.join('\n'),
    );
  } finally {
    for (const s of servers) await s.server.close();
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
