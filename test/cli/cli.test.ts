/** The `custody` command as a user runs it: the package's bin, in a child process. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readTree } from '../../src/generate/index.js';
import { custody } from '../helpers/cli.js';
import { repoPath } from '../helpers/paths.js';

const workspace = (keys = true) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-cli-'));
  cpSync(repoPath('workflows'), path.join(dir, 'workflows'), { recursive: true });
  if (keys) cpSync(repoPath('keys'), path.join(dir, 'keys'), { recursive: true });
  return dir;
};

const snapshot = async (dir: string) => Object.fromEntries([...((await readTree(dir)) ?? new Map())].map(([k, v]) => [k, v.toString('base64')]));

test('help for the tool and for each command; usage errors exit 2', async () => {
  const top = await custody(['--help']);
  assert.is(top.code, 0);
  for (const c of ['check', 'matrix', 'generate']) {
    assert.match(top.stdout, c);
    const h = await custody([c, '--help']);
    assert.is(h.code, 0);
    assert.match(h.stdout, `Usage: custody ${c}`);
  }
  assert.is((await custody([])).code, 2);
  assert.is((await custody(['frobnicate'])).code, 2);
  const bad = await custody(['check', '--frob']);
  assert.is(bad.code, 2);
  assert.is(bad.stderr, 'custody check: error[usage]: unknown option --frob (the options are --json)\n');
  assert.is((await custody(['matrix'])).code, 2);
  assert.is((await custody(['matrix', 'workflows/movie-post-production.yaml', '--at', 'noon'])).code, 2);
  assert.match((await custody(['--version'])).stdout, /^custody \d+\.\d+\.\d+\n$/);
});

test('check accepts the examples with a one-line summary and the warnings they are meant to raise', async () => {
  const r = await custody(['check']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'ok: 2 workflows, 13 agents, 16 flows, 18 warnings\n');
  const lines = r.stderr.trim().split('\n');
  // The clinical example's lab and statistics contractor share one cluster, knowingly; and no
  // organisation of the examples has published its mesh's root under keys/roots/ (8 clusters).
  assert.equal(lines.filter((l) => /warning\[shared-cluster\]: [^\n]*actors "lab" and "biostat" share cluster "shared-eu"/.test(l)).length, 1);
  assert.equal(
    lines.filter((l) => /warning\[missing-peer-root\]: [^\n]*no root certificate for cluster "[a-z-]+" \(keys\/roots\/[a-z-]+\.pem\)/.test(l)).length,
    8,
  );
  // Nor has any sent its ServiceAccount token issuer: each cluster's sidecars would be refused.
  const auth = lines.filter((l) => l.includes('warning[no-sidecar-auth]'));
  assert.equal(auth.map((l) => /cluster "([a-z-]+)"/.exec(l)![1]).sort(), [
    'color-central',
    'hdr-west',
    'shared-eu',
    'site-boston',
    'sound-west',
    'sponsor-prod',
    'studio-central',
    'vfx-central',
  ]);
  assert.match(
    auth.find((l) => l.includes('"hdr-west"'))!,
    'workflows/movie-post-production.yaml:31:24: spec.actors.hdr.cluster.name: the bundle server cannot authenticate the sidecars of cluster "hdr-west" (no tokenIssuer): it will refuse them, their OPA never gets a bundle, and the agents there never become Ready (ask hdr-west\'s organisation for its ServiceAccount token issuer and keys: add tokenIssuer with tokenJwksUrl to its cluster, or tokenIssuer and commit its key set as keys/jwks/hdr-west.json)',
  );
});

test('check rejects bad input with custody check: error[CODE]: FILE:LINE:COL lines and exit 1', async () => {
  const dir = workspace();
  const file = path.join(dir, 'workflows', 'movie-post-production.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('to: vfx-1, methods', 'to: vfx-9, methods').replace('Europe/Paris', 'Europe/Pariss'));
  const r = await custody(['check'], dir);
  assert.is(r.code, 1);
  const lines = r.stderr.trim().split('\n');
  assert.equal(
    lines.filter((l) => l.includes(' error[')).map((l) => l.split(': ').slice(0, 3).join(': ')),
    [
      'custody check: error[unknown-timezone]: workflows/movie-post-production.yaml:10:13',
      'custody check: error[unknown-agent]: workflows/movie-post-production.yaml:35:26',
    ],
  );
  assert.match(
    lines.find((l) => l.includes('error[unknown-agent]'))!,
    /did you mean "vfx-1"\?/,
  );
  assert.is(r.stdout, '2 errors, 8 warnings in 2 files\n');
});

test('generate --check passes on the committed tree', async () => {
  const r = await custody(['generate', '--check']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^up to date: 419 files from 2 workflows\n$/);
  // generate warns as check does: no cluster of the examples can authenticate its sidecars yet.
  assert.is(r.stderr.split('\n').filter((l) => l.startsWith('custody generate: warning[no-sidecar-auth]: ')).length, 8);
});

test('generate writes byte-identical trees; --check notices a changed spec; errors write nothing', async () => {
  const a = workspace();
  const b = workspace();
  assert.is((await custody(['generate', '--out', '.'], a)).code, 0);
  assert.is((await custody(['generate', '--workflows', 'workflows', '--out', path.join(b, 'x')], b)).code, 0);
  const treeA = await snapshot(path.join(a, 'bundles'));
  assert.equal(treeA, await snapshot(path.join(b, 'x', 'bundles')));
  assert.equal(treeA, await snapshot(repoPath('bundles')), 'the committed bundles are what generate writes');
  const generatedA = await snapshot(path.join(a, 'generated'));
  assert.equal(generatedA, await snapshot(path.join(b, 'x', 'generated')));
  assert.equal(generatedA, await snapshot(repoPath('generated')), 'the committed manifests are what generate writes');
  assert.is((await custody(['generate', '--check', '--out', '.'], a)).code, 0);

  const spec = path.join(a, 'workflows', 'movie-post-production.yaml');
  const original = readFileSync(spec, 'utf8');
  writeFileSync(spec, original.replace('path: /api/hdr', 'path: /api/hdr/*'));
  const stale = await custody(['generate', '--check', '--out', '.'], a);
  assert.is(stale.code, 1);
  assert.equal(
    stale.stdout.split('\n').filter((l) => l.startsWith('stale:')),
    [
      'stale: bundles/movie-post-production/hdr/data.json (changed)',
      'stale: generated/clusters/hdr-west/movie-post-production/hdr/authorizationpolicy-allow-color-to-hdr.yaml (changed)',
    ],
  );
  assert.equal(await snapshot(path.join(a, 'bundles')), treeA, '--check writes nothing');
  assert.equal(await snapshot(path.join(a, 'generated')), generatedA, '--check writes nothing');

  writeFileSync(spec, original.replace('owner: studio', 'owner: studios'));
  const bad = await custody(['generate', '--out', '.'], a);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /error\[unknown-owner\]/);
  assert.equal(await snapshot(path.join(a, 'bundles')), treeA, 'nothing written on errors');
  assert.equal(await snapshot(path.join(a, 'generated')), generatedA, 'nothing written on errors');

  writeFileSync(spec, original.replace('path: /api/hdr', 'path: /api/hdr/*'));
  const ok = await custody(['generate', '--out', '.'], a);
  assert.is(ok.code, 0);
  assert.is(ok.stdout, 'wrote bundles/: 52 files, 1 changed\nwrote generated/: 367 files, 1 changed\n');
  assert.is((await custody(['generate', '--out', '.'], a)).stdout, 'up to date: 419 files from 2 workflows\n');

  // A hand edit of a generated manifest is stale too, and generate puts it back.
  const deny = path.join(a, 'generated', 'clusters', 'hdr-west', 'movie-post-production', 'authorizationpolicy-deny-all.yaml');
  const denyText = readFileSync(deny, 'utf8');
  writeFileSync(deny, denyText.replace('spec: {}', 'spec:\n  rules:\n    - {}'));
  const edited = await custody(['generate', '--check', '--out', '.'], a);
  assert.is(edited.code, 1);
  assert.match(edited.stdout, /^stale: generated\/clusters\/hdr-west\/movie-post-production\/authorizationpolicy-deny-all\.yaml \(changed\)$/m);
  assert.is((await custody(['generate', '--out', '.'], a)).stdout, 'wrote generated/: 367 files, 1 changed\n');
  assert.is(readFileSync(deny, 'utf8'), denyText);
});

test('generate without a verification key fails, says what to do, and writes nothing', async () => {
  const dir = workspace(false);
  const r = await custody(['generate', '--out', '.'], dir);
  assert.is(r.code, 1);
  assert.match(r.stderr, /no bundle verification key in keys\/.*custody keygen --id/);
  assert.is(r.stdout, '1 error: nothing written\n');
  assert.not.ok(existsSync(path.join(dir, 'bundles')) || existsSync(path.join(dir, 'generated')), 'nothing written');
  const check = await custody(['generate', '--check', '--out', '.'], dir);
  assert.is(check.code, 1);
  cpSync(repoPath('keys'), path.join(dir, 'other-keys'), { recursive: true });
  assert.is((await custody(['generate', '--keys', 'other-keys', '--out', '.'], dir)).code, 0, '--keys names another folder');
});

test('matrix prints the table and JSON; --at resolves time conditions', async () => {
  const t = await custody(['matrix', 'workflows/movie-post-production.yaml']);
  assert.is(t.code, 0);
  assert.match(t.stdout, /84 triples: 7 allow, 1 conditional, 76 deny/);
  assert.match(t.stdout, /sound\s+owner\s+deny\s+cond\s+POST \/api\/owner: until 2027-03-31T00:00:00Z/);
  const j = JSON.parse((await custody(['matrix', 'workflows/movie-post-production.yaml', '--json'])).stdout) as { cells: unknown[]; counts: object };
  assert.is(j.cells.length, 84);
  assert.equal(j.counts, { allow: 7, conditional: 1, deny: 76 });
  const later = JSON.parse((await custody(['matrix', 'workflows/movie-post-production.yaml', '--json', '--at', '2027-04-01T00:00:00Z'])).stdout) as {
    counts: object;
  };
  assert.equal(later.counts, { allow: 7, conditional: 0, deny: 77 });
});

test.run();
