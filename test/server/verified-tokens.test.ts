/**
 * A ServiceAccount token is verified once and its identity kept (auth.ts): the kept identity must
 * never let through what a fresh verification would refuse. An expired token, a token naming
 * another agent or made by another cluster, an agent removed from Git and a key removed from its
 * issuer's set are refused after the token was accepted, as before it was.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createAuthenticator, sha256Hex, type Authenticator } from '../../src/server/index.js';
import { commitAll, exampleRepository } from '../helpers/git-repo.js';
import { startTestServer } from '../helpers/server.js';
import { clusterIssuers } from '../helpers/service-accounts.js';

const W = 'movie-post-production';
const ISSUER = 'https://color-central.clusters.example';
const T0 = 1_900_000_000;

/** The HTTP status a refusal carries, or 'accepted <workflow>/<agent>'; and whether the answer came without a promise. */
async function outcome(auth: Authenticator, token: string): Promise<{ result: string; synchronous: boolean }> {
  let synchronous = true;
  try {
    const checked = auth.authenticate(`Bearer ${token}`);
    synchronous = !(checked instanceof Promise);
    const identity = await checked;
    return { result: identity.kind === 'agent' ? `accepted ${identity.workflow}/${identity.agent}` : 'accepted admin', synchronous };
  } catch (err) {
    return { result: String((err as { status?: number }).status), synchronous };
  }
}

async function keyPair(kid: string) {
  const pair = await generateKeyPair('RS256');
  return { kid, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

function token(key: Awaited<ReturnType<typeof keyPair>>, o: { iat: number; exp: number; account?: string }) {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .setSubject(`system:serviceaccount:${o.account ?? `${W}:color`}`)
    .setAudience('custody-bundle-server')
    .setIssuer(ISSUER)
    .setIssuedAt(o.iat)
    .setExpirationTime(o.exp)
    .sign(key.privateKey);
}

test('a kept token is refused from the second its exp names, as an unkept one is', async () => {
  const dir = exampleRepository();
  const issuers = await clusterIssuers(dir, ['color-central']);
  let now = T0;
  const auth = createAuthenticator({
    clusters: issuers.clusters,
    audience: 'custody-bundle-server',
    maxLifetimeSeconds: 3600,
    clock: () => new Date(now * 1000),
  });
  const color = await issuers.token({ cluster: 'color-central', account: `${W}:color`, iat: T0, exp: T0 + 600 });
  assert.equal(await outcome(auth, color), { result: `accepted ${W}/color`, synchronous: false }, 'verified the first time');
  now = T0 + 599;
  assert.equal(await outcome(auth, color), { result: `accepted ${W}/color`, synchronous: true }, 'known the second time: no verification');
  now = T0 + 600;
  assert.equal(await outcome(auth, color), { result: '401', synchronous: false }, 'expired: verified again, and refused');
  now = T0 + 100;
  const other = await issuers.token({ cluster: 'color-central', account: `${W}:hdr`, iat: T0, exp: T0 + 600 });
  assert.equal(
    await outcome(auth, other),
    { result: `accepted ${W}/hdr`, synchronous: false },
    'another token is verified on its own, not taken for a kept one',
  );
});

test('on one connection, the token it sent before is not hashed again, yet expiry and every other token are checked as on a new one', async () => {
  const dir = exampleRepository();
  const issuers = await clusterIssuers(dir, ['color-central']);
  let now = T0;
  const staticColor = 'static-color-token-0123456789';
  const auth = createAuthenticator({
    tokens: { agents: { [`${W}/color`]: sha256Hex(staticColor) }, admins: [] },
    clusters: issuers.clusters,
    audience: 'custody-bundle-server',
    maxLifetimeSeconds: 3600,
    clock: () => new Date(now * 1000),
  });
  const connection = {};
  const on = async (value: string) => {
    try {
      const identity = await auth.authenticate(`Bearer ${value}`, connection);
      return identity.kind === 'agent' ? `accepted ${identity.workflow}/${identity.agent}` : 'accepted admin';
    } catch (err) {
      return String((err as { status?: number }).status);
    }
  };
  const color = await issuers.token({ cluster: 'color-central', account: `${W}:color`, iat: T0, exp: T0 + 600 });
  const hdr = await issuers.token({ cluster: 'color-central', account: `${W}:hdr`, iat: T0, exp: T0 + 600 });
  assert.is(await on(color), `accepted ${W}/color`);
  assert.is(await on(color), `accepted ${W}/color`, 'the same header again');
  assert.is(await on(`${color.slice(0, -2)}xx`), '401', 'a forged signature after a good token on the same connection');
  assert.is(await on(hdr), `accepted ${W}/hdr`, 'another token on the same connection names its own agent');
  assert.is(await on(staticColor), `accepted ${W}/color`, 'a static token');
  assert.is(await on(`${staticColor}x`), '401', 'a wrong static token after a good one');
  assert.is(await on(color), `accepted ${W}/color`);
  now = T0 + 600;
  assert.is(await on(color), '401', 'expired while the connection kept it');
});

test("a token seen before is still refused for another agent's bundle, from another cluster, and once its agent is removed", async () => {
  const repo = exampleRepository();
  const issuers = await clusterIssuers(repo, ['color-central', 'hdr-west']);
  const t = await startTestServer({ clusters: issuers.clusters, pollSeconds: 3600 }, repo);
  try {
    const bundle = async (token: string, agent: string) =>
      (await fetch(`${t.server.url}/bundles/${W}/${agent}.tar.gz`, { headers: { authorization: `Bearer ${token}` } })).status;
    const color = await issuers.token({ cluster: 'color-central', account: `${W}:color` });
    assert.is(await bundle(color, 'color'), 200);
    assert.is(await bundle(color, 'color'), 200, 'kept');
    assert.is(await bundle(color, 'hdr'), 403, "color's kept token for hdr's bundle");
    assert.is(await bundle(color, 'color'), 200);

    const colorFromHdr = await issuers.token({ cluster: 'hdr-west', account: `${W}:color` });
    assert.is(await bundle(colorFromHdr, 'color'), 403, "color's account made in hdr-west");
    assert.is(await bundle(colorFromHdr, 'color'), 403, 'and again, once its identity is kept');

    rmSync(path.join(repo, 'bundles', W, 'color'), { recursive: true });
    commitAll(repo, 'color leaves');
    await t.server.refresh();
    assert.is(t.server.catalog.get(W, 'color'), undefined);
    assert.is(await bundle(color, 'color'), 403, 'the kept token of an agent no longer served');
    assert.is(await bundle(color, 'color'), 403);
  } finally {
    await t.server.close();
  }
});

test("a key removed from a cluster's fetched key set refuses its kept tokens once the set is fetched again", async () => {
  const old = await keyPair('old');
  const rotated = await keyPair('new');
  let served = [old.jwk];
  let fetches = 0;
  const jwks = http.createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/openid/v1/jwks`;
    // Keys are fetched again after 300 ms here (jose keeps them 10 minutes by default).
    const auth = createAuthenticator({
      clusters: [{ cluster: 'color-central', issuer: ISSUER, jwksUrl: url }],
      audience: 'custody-bundle-server',
      maxLifetimeSeconds: 3600,
      remoteKeys: { cacheMaxAge: 300, cooldownDuration: 0 },
    });
    const now = Math.floor(Date.now() / 1000);
    const signedByOld = await token(old, { iat: now, exp: now + 600 });
    assert.equal(await outcome(auth, signedByOld), { result: `accepted ${W}/color`, synchronous: false });
    assert.equal(await outcome(auth, signedByOld), { result: `accepted ${W}/color`, synchronous: true }, 'kept');
    assert.is(fetches, 1);

    served = [rotated.jwk];
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await outcome(auth, signedByOld), { result: '401', synchronous: false }, "its key is gone from the issuer's set");
    assert.ok(fetches >= 2, 'the set was fetched again');
    const signedByNew = await token(rotated, { iat: now, exp: now + 600 });
    assert.equal(await outcome(auth, signedByNew), { result: `accepted ${W}/color`, synchronous: false });
    assert.equal(await outcome(auth, signedByOld), { result: '401', synchronous: false }, 'and stays refused');
  } finally {
    await new Promise<void>((resolve) => jwks.close(() => resolve()));
  }
});

test.run();
