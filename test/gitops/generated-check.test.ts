/**
 * What the summary must not hide: a change that widens access without a spec change saying so.
 * A bundle or manifest edited by hand (or trees committed without their specs) is listed as not
 * generated from the specs, first, and custody diff exits 1; a new bundle signing key is named
 * with its fingerprint, and the headline says keys changed instead of "no access change".
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { custody, edit, fixtureRepository, git, publishVfxTrust } from '../helpers/fixture-repository.js';
import { repoPath } from '../helpers/paths.js';

const AUTHOR = ['--author-name', 'Ada Lovelace', '--author-email', 'ada@example.invalid'];
const DATA = 'bundles/movie-post-production/hdr/data.json';

test('a bundle widened by hand: diff lists it first as not generated from the specs, the headline says so, exit 1', async () => {
  const dir = await fixtureRepository();
  const file = path.join(dir, DATA);
  const data = JSON.parse(readFileSync(file, 'utf8')) as { custody: { agent: { sources: Record<string, unknown> } } };
  const sources = data.custody.agent.sources;
  // Any caller the bundle already names may now call everything: the spec says nothing of it.
  const first = Object.keys(sources)[0]!;
  sources['spiffe://cluster.local/ns/movie-post-production/sa/vfx-1'] = sources[first];
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  rmSync(path.join(dir, 'generated/flux/hdr-west/kustomization.yaml'));
  writeFileSync(path.join(dir, 'generated/clusters/hdr-west/extra.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'hand edit');
  const r = await custody(['diff', '--base', 'HEAD~1'], dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[2]!, /^Not generated from the specs: these changed files are not what the specs and keys of the head generate/);
  assert.equal(lines.slice(3, 6), [
    `  ! ${DATA}: differs from what the specs generate`,
    '  ! generated/clusters/hdr-west/extra.yaml: the specs generate no such file',
    '  ! generated/flux/hdr-west/kustomization.yaml: deleted, but the specs generate it',
  ]);
  assert.match(r.stdout, 'Access changes: none');
  assert.match(r.stderr, `custody diff: error[generated-differs]: 3 changed generated files not what the head's specs generate: ${DATA}`);
  const md = await custody(['diff', '--base', 'HEAD~1', '--markdown'], dir);
  assert.match(md.stdout, '> [!CAUTION]\n> Not generated from the specs');
  assert.match(md.stdout, `- \`${DATA}\`: differs from what the specs generate`);
  const json = JSON.parse((await custody(['diff', '--base', 'HEAD~1', '--json'], dir)).stdout) as {
    generated: { checked: boolean; files: { path: string; problem: string }[] };
  };
  assert.equal(
    json.generated.files.map((f) => f.problem),
    ['differs', 'not-generated', 'missing'],
  );
  // Regenerating puts the trees back: the next diff has nothing to flag.
  const fix = await custody(['commit', ...AUTHOR], dir);
  assert.is(fix.code, 0, fix.stderr);
  const again = await custody(['diff', '--base', 'HEAD~2'], dir);
  assert.is(again.code, 0, again.stdout + again.stderr);
  assert.is(again.stdout.split('\n')[2], 'No change to access, manifests or policy bundles.');
});

test('a new signing key made active: named with its fingerprint in the commit message and in diff; the headline does not say "no access change"', async () => {
  const dir = await fixtureRepository();
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(path.join(dir, 'keys', 'rotation-2026.pem'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(path.join(dir, 'keys', 'active'), 'rotation-2026\n');
  const fingerprint = `SHA256:${createHash('sha256')
    .update(pair.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64')
    .replace(/=+$/, '')}`;
  const r = await custody(['commit', ...AUTHOR], dir);
  assert.is(r.code, 0, r.stderr);
  const message = git(dir, 'log', '-1', '--format=%B');
  assert.ok(message.startsWith('Policy: bundle signing keys changed\n'), message);
  assert.match(message, `Bundle signing keys (keys/)\n  ! trusted key added: rotation-2026 (ES256, ${fingerprint})`);
  assert.match(message, '  ! sidecars now require bundles signed with rotation-2026 (was custody-example)');
  assert.equal(
    git(dir, 'diff-tree', '--no-commit-id', '--name-only', '-r', 'HEAD')
      .split('\n')
      .filter((f) => f.startsWith('keys/')),
    ['keys/active', 'keys/rotation-2026.pem'],
  );
  const diff = await custody(['diff', '--base', 'HEAD~1', '--markdown'], dir);
  assert.is(diff.code, 0, diff.stderr);
  assert.match(diff.stdout, '#### Bundle signing keys (`keys/`)');
  assert.match(diff.stdout, `trusted key added: rotation-2026 (ES256, ${fingerprint}`);
  assert.not.match(diff.stdout, '[!CAUTION]');
  // The same key file edited to hold another key: a replacement, both fingerprints named.
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(path.join(dir, 'keys', 'rotation-2026.pem'), other.publicKey.export({ type: 'spki', format: 'pem' }));
  const replaced = await custody(['commit', ...AUTHOR], dir);
  assert.is(replaced.code, 0, replaced.stderr);
  assert.match(git(dir, 'log', '-1', '--format=%B'), `trusted key rotation-2026 now holds another key: rotation-2026 (ES256, SHA256:`);
  assert.match(git(dir, 'log', '-1', '--format=%B'), `, was ${fingerprint}`);
});

test('a spec edit with a key change: the headline carries both', async () => {
  const dir = await fixtureRepository();
  edit(
    dir,
    'workflows/movie-post-production.yaml',
    '- { from: hdr, to: owner, methods: [POST], path: /api/owner }',
    '- { from: hdr, to: owner, methods: [POST], path: /api/owner }\n    - { from: vfx-1, to: owner, methods: [POST], path: /api/owner }',
  );
  rmSync(path.join(dir, 'keys', 'custody-example.pem'));
  writeFileSync(path.join(dir, 'keys', 'next.pem'), generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
  const r = await custody(['commit', ...AUTHOR], dir);
  assert.is(r.code, 0, r.stderr);
  const message = git(dir, 'log', '-1', '--format=%B');
  assert.ok(message.startsWith('Policy: movie-post-production: 1 grant added; bundle signing keys changed\n'), message);
  assert.match(message, '  ! trusted key removed: custody-example (');
  assert.match(message, '  ! sidecars now require bundles signed with next (was custody-example)');
});

test('a key that is a symbolic link: generate refuses it; a revision holding one cannot be checked, and diff says so with exit 1', async () => {
  const dir = await fixtureRepository();
  mkdirSync(path.join(dir, 'docs'));
  const team = path.join(dir, 'docs', 'team.pem');
  writeFileSync(team, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
  symlinkSync('../docs/team.pem', path.join(dir, 'keys', 'zz.pem'));
  const generate = await custody(['generate'], dir);
  assert.is(generate.code, 1, generate.stdout + generate.stderr);
  assert.match(generate.stderr, 'keys/zz.pem is a symbolic link: a trusted key must be a file under keys/');
  // Committed anyway with native git, then the key behind the link swapped: no change under keys/.
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'linked key');
  writeFileSync(team, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));
  const file = path.join(dir, DATA);
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace('"sources": {', '"sources": {\n        "spiffe://cluster.local/ns/movie-post-production/sa/intruder": {},'),
  );
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'swap');
  const r = await custody(['diff', '--base', 'HEAD~1'], dir);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, 'Generated files not checked against the specs: keys/zz.pem: not a public key in SPKI PEM');
  assert.match(r.stderr, "custody diff: error[generated-unchecked]: the changed generated files could not be checked against the head's specs");
  const md = await custody(['diff', '--base', 'HEAD~1', '--markdown'], dir);
  assert.match(md.stdout, '> [!WARNING]\n> Generated files not checked against the specs');
});

test('a peer root and a token key set committed with the trees they generate: diff finds nothing stale; a root changed without regenerating is caught', async () => {
  const dir = await fixtureRepository();
  // With a README beside the roots: the owner's, not an input (as beside the specs).
  publishVfxTrust(dir);
  const generate = await custody(['generate'], dir);
  assert.is(generate.code, 0, generate.stdout + generate.stderr);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'vfx publishes its root and token keys');
  const r = await custody(['diff', '--base', 'HEAD~1'], dir);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.not.match(r.stdout, 'Not generated from the specs');
  // The peers' trees changed with the root, and the summary names it by its openssl fingerprint.
  assert.match(r.stdout, '  clusters/color-central ');
  assert.match(
    r.stdout,
    '  ! mesh root of vfx-central added: SHA-256 58:C2:62:68:5D:E9:46:E6:F7:CA:99:04:2D:15:78:69:06:27:EE:2E:D4:A8:AA:9F:14:A6:E8:5E:84:C9:53:51 (O=vfx example, CN=vfx mesh root)',
  );
  // Another root in its place, the trees left as they were, and a touched tree file: stale.
  copyFileSync(repoPath('test', 'fixtures', 'roots', 'studio-central.pem'), path.join(dir, 'keys', 'roots', 'vfx-central.pem'));
  const values = path.join(dir, 'generated', 'clusters', 'color-central', 'istiod-values.yaml');
  writeFileSync(values, `${readFileSync(values, 'utf8')}# reviewed\n`);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'root swapped by hand');
  const stale = await custody(['diff', '--base', 'HEAD~1'], dir);
  assert.is(stale.code, 1, stale.stdout + stale.stderr);
  assert.match(stale.stdout, '  ! generated/clusters/color-central/istiod-values.yaml: differs from what the specs generate');
});

test.run();
