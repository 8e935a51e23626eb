/**
 * What the server's configuration refuses at load, before anything starts: a repository URL with
 * credentials in any spelling (never printed), and clusters whose tokens could not be told apart
 * (one issuer, or one cluster name, in two entries).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type ServerConfig } from '../../src/server/index.js';
import { makeKey } from '../helpers/server.js';

const dir = mkdtempSync(path.join(tmpdir(), 'custody-config-'));
const key = makeKey(dir, 'k');

/** The configuration loaded with these settings, or the message of its refusal. */
function load(overrides: Record<string, unknown>): ServerConfig | string {
  try {
    return loadConfig({ env: {}, cwd: dir, overrides: { repository: dir, signingKeys: [{ id: 'k', file: key.file }], ...overrides } });
  } catch (err) {
    return (err as Error).message;
  }
}

test('a repository URL with credentials is refused in every spelling, and the credentials are never printed', () => {
  for (const url of [
    'HTTPS://user:s3cretTOKEN@github.com/o/r',
    'https:/user:s3cretTOKEN@github.com/o/r',
    'https:user:s3cretTOKEN@github.com/o/r',
    'git+https://user:s3cretTOKEN@github.com/o/r',
    ' https://user:s3cretTOKEN@github.com/o/r',
    'https://user:s3cretTOKEN@github.com/o/r ',
    'ssh://deploy:s3cretTOKEN@github.com/o/r',
    'https://user:pa/s3cretTOKEN@github.com/o/r',
    's3cretTOKEN@github.com:o/r',
    'user:s3cretTOKEN@github.com:o/r',
  ]) {
    const r = load({ repository: url });
    assert.type(r, 'string', `${JSON.stringify(url)} accepted`);
    assert.match(r as string, /carries credentials \(removed here\)/, url);
    assert.match(r as string, /CUSTODY_GIT_TOKEN/, url);
    assert.not.match(r as string, /s3cret|user:/, `${url}: printed`);
    assert.match(r as string, /github\.com/, `${url}: the rest of the URL is shown`);
  }
});

test('a repository URL is read as a URL parser reads it: any case of scheme, spaces around; other schemes are refused', () => {
  const upper = load({ repository: 'HTTPS://github.com/o/r.git' }) as ServerConfig;
  assert.is(upper.repository, 'https://github.com/o/r.git');
  assert.is(upper.pollSeconds, 30, 'polled as a remote');
  assert.is((load({ repository: '  https://github.com/o/r.git\n' }) as ServerConfig).repository, 'https://github.com/o/r.git');
  assert.is((load({ repository: dir }) as ServerConfig).repository, dir, 'a local path as before');
  assert.is((load({ repository: 'https://github.com/o/r.git' }) as ServerConfig).repository, 'https://github.com/o/r.git');
  assert.is(
    load({ repository: 'ssh://git@github.com/o/r.git' }),
    'the repository URL ssh://github.com/o/r.git is not an http(s) URL: the server fetches over http(s) only; give the https:// URL (a token in CUSTODY_GIT_TOKEN) or a local path',
  );
  assert.match(load({ repository: 'git+https://github.com/o/r.git' }) as string, /is not an http\(s\) URL/);
});

const cluster = (name: string, issuer: string) => ({ cluster: name, issuer, jwksUrl: `${issuer}/openid/v1/jwks` });

test('two clusters with one issuer are refused, naming both entries and saying to give each cluster its own issuer', () => {
  const kubeadm = 'https://kubernetes.default.svc.cluster.local';
  const r = load({ clusters: [cluster('vfx-central', kubeadm), cluster('color-central', 'https://issuer.color.example'), cluster('hdr-west', kubeadm)] });
  assert.is(
    r,
    `clusters[0] (vfx-central) and clusters[2] (hdr-west) have the same issuer ${kubeadm}: the server tells clusters' tokens apart by their issuer, so each cluster needs its own (kubeadm's default is the same in every cluster: set --service-account-issuer of each cluster's API server to a URL of its own, and tokenIssuer in the spec to match)`,
  );
  const distinct = [cluster('vfx-central', 'https://issuer.vfx.example'), cluster('color-central', 'https://issuer.color.example')];
  assert.equal((load({ clusters: distinct }) as ServerConfig).clusters, distinct, 'one issuer each: loaded as given');
});

test('two entries for one cluster are refused, naming both', () => {
  const r = load({ clusters: [cluster('vfx-central', 'https://issuer.vfx.example'), cluster('vfx-central', 'https://other.vfx.example')] });
  assert.is(r, 'clusters[0] and clusters[1] both name cluster vfx-central: give each cluster one entry, with the issuer of its ServiceAccount tokens');
});

test.run();
