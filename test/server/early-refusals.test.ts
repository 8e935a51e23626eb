/**
 * How fast a refusal comes must not tell a caller which token issuers and key ids the server
 * trusts: a JWT refused before any signature was checked pays one signature check all the same
 * (a decoy, counted here), and the decoy is a real check that fails, as a forged token's does.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { createAuthenticator, decoySignatureCheck } from '../../src/server/auth.js';
import { clusterIssuers } from '../helpers/service-accounts.js';

const W = 'movie-post-production';

test('a JWT refused before its signature is checked pays one signature check; one refused after it, or accepted, pays none', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-decoy-'));
  try {
    const issuers = await clusterIssuers(dir, ['color-central']);
    let decoys = 0;
    const auth = createAuthenticator({
      clusters: issuers.clusters,
      audience: 'custody-bundle-server',
      maxLifetimeSeconds: 3600,
      decoy: async () => decoys++,
    });
    /** The status of the refusal (or 'accepted'), and how many decoy checks it paid. */
    const paid = async (token: string) => {
      const before = decoys;
      let result = 'accepted';
      try {
        await auth.authenticate(`Bearer ${token}`);
      } catch (err) {
        result = String((err as { status?: number }).status);
      }
      return [result, decoys - before];
    };
    const now = Math.floor(Date.now() / 1000);
    const stranger = await generateKeyPair('RS256');
    const signed = (issuer: string, kid: string, alg = 'RS256') =>
      new SignJWT({})
        .setProtectedHeader({ alg, kid })
        .setSubject(`system:serviceaccount:${W}:color`)
        .setAudience('custody-bundle-server')
        .setIssuer(issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(stranger.privateKey);
    const unsigned = (header: object) =>
      [header, { iss: issuers.clusters[0]!.issuer, sub: `system:serviceaccount:${W}:color`, exp: now + 600 }]
        .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
        .join('.') + '.';
    // Before any signature: no JWT at all, an issuer not configured, a key id the issuer does not have, alg none.
    assert.equal(await paid('not.a.jwt'), ['401', 1]);
    assert.equal(await paid(await signed('https://elsewhere.example', 'k1')), ['401', 1]);
    assert.equal(await paid(await signed(issuers.clusters[0]!.issuer, 'not-a-key-id')), ['401', 1]);
    assert.equal(await paid(unsigned({ alg: 'none', kid: 'color-central-k1' })), ['401', 1]);
    // After it: a forged signature under the issuer's key id, an expired token (its claims are read once the signature holds).
    assert.equal(await paid(await signed(issuers.clusters[0]!.issuer, 'color-central-k1')), ['401', 0]);
    assert.equal(await paid(await issuers.token({ cluster: 'color-central', account: `${W}:color`, iat: now - 7200, exp: now - 3600 })), ['401', 0]);
    assert.equal(await paid(await issuers.token({ cluster: 'color-central', account: `${W}:color` })), ['accepted', 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the decoy is a real signature check, and it fails', async () => {
  const check = decoySignatureCheck();
  for (let i = 0; i < 2; i++) assert.is(((await check()) as { code?: string }).code, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
});

test.run();
