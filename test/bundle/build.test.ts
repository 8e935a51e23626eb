import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BundleError, buildBundle, createSigner, fileDigest, readTarball, type BuildOptions, type BundleErrorCode } from '../../src/bundle/index.js';
import { keys, sources, utf8 } from './fixtures.js';

const signer = createSigner({ keyId: 'owner', privateKeyPem: keys.rsaPkcs8() });
const base: BuildOptions = { files: sources(), revision: '0123abcd', signer, iat: 1700000000 };

test('same sources, key and iat: identical bytes and ETag; another revision: different', async () => {
  const a = await buildBundle(base);
  const b = await buildBundle({ ...base, files: new Map([...sources()].reverse()) });
  assert.ok(a.bytes.equals(b.bytes));
  assert.is(a.etag, b.etag);
  assert.is(a.etag, `"${createHash('sha256').update(a.bytes).digest('hex')}"`);

  const c = await buildBundle({ ...base, revision: '0123abce' });
  assert.not.ok(a.bytes.equals(c.bytes));
  assert.is.not(a.etag, c.etag);
  const d = await buildBundle({ ...base, iat: 1700000001 });
  assert.is.not(a.etag, d.etag);
});

test('manifest gets the revision, canonical and compact; every other file is copied verbatim', async () => {
  const built = await buildBundle(base);
  const files = await readTarball(built.bytes);
  assert.equal([...files.keys()].sort(), ['.manifest', '.signatures.json', 'data.json', 'policy.rego']);
  assert.is(
    files.get('.manifest')?.toString('utf8'),
    '{"metadata":{"agent":"owner","workflow":"w"},"rego_version":1,"revision":"0123abcd","roots":["custody"]}',
  );
  assert.equal(built.manifest, { metadata: { agent: 'owner', workflow: 'w' }, rego_version: 1, revision: '0123abcd', roots: ['custody'] });
  for (const name of ['data.json', 'policy.rego']) {
    assert.ok(files.get(name)?.equals(sources().get(name) as Uint8Array), name);
  }
  assert.equal(
    built.digests,
    ['.manifest', 'data.json', 'policy.rego'].map((name) => ({
      name,
      hash: fileDigest(name, files.get(name) as Buffer),
      algorithm: 'SHA-256',
    })),
  );
});

test('extra sources are carried and signed; unsigned builds have no .signatures.json', async () => {
  const files = sources();
  files.set('custody/roles/data.json', utf8('["a"]'));
  files.set('README.md', utf8('# agent owner\n'));
  const built = await buildBundle({ files, revision: 'r' });
  const back = await readTarball(built.bytes);
  assert.equal([...back.keys()].sort(), ['.manifest', 'README.md', 'custody/roles/data.json', 'data.json', 'policy.rego']);
  assert.equal(
    built.digests.map((d) => d.name),
    ['.manifest', 'README.md', 'custody/roles/data.json', 'data.json', 'policy.rego'],
  );
});

function withFile(name: string, content: string | null): Map<string, Uint8Array> {
  const files = sources();
  if (content === null) files.delete(name);
  else files.set(name, utf8(content));
  return files;
}

// One row per refusal: [what, options, expected code].
const REFUSALS: Array<[string, Partial<BuildOptions>, BundleErrorCode]> = [
  ['no .manifest', { files: withFile('.manifest', null) }, 'missing-file'],
  ['no policy.rego', { files: withFile('policy.rego', null) }, 'missing-file'],
  ['no data.json', { files: withFile('data.json', null) }, 'missing-file'],
  ['manifest not JSON', { files: withFile('.manifest', 'roots: [custody]') }, 'bad-manifest'],
  ['manifest an array', { files: withFile('.manifest', '[]') }, 'bad-manifest'],
  ['manifest without roots', { files: withFile('.manifest', '{"rego_version":1}') }, 'bad-manifest'],
  ['roots not strings', { files: withFile('.manifest', '{"roots":[1]}') }, 'bad-manifest'],
  ['revision in source', { files: withFile('.manifest', '{"roots":[],"revision":"x"}') }, 'bad-manifest'],
  ['rego_version 1.0', { files: withFile('.manifest', '{"roots":[],"rego_version":1.0}') }, 'bad-manifest'],
  ['rego_version 2', { files: withFile('.manifest', '{"roots":[],"rego_version":2}') }, 'bad-manifest'],
  ['metadata not object', { files: withFile('.manifest', '{"roots":[],"metadata":[]}') }, 'bad-manifest'],
  ['data.json an array', { files: withFile('data.json', '[]') }, 'bad-data'],
  ['data.json invalid', { files: withFile('data.json', '{"a":}') }, 'bad-data'],
  ['data.json lone surrogate', { files: withFile('data.json', '{"a":"\\ud800"}') }, 'bad-data'],
  ['data.json with BOM', { files: withFile('data.json', '\ufeff{}') }, 'bad-data'],
  ['nested data.json invalid', { files: withFile('custody/x/data.json', 'nope') }, 'bad-data'],
  ['absolute path', { files: withFile('/etc/x.rego', '') }, 'bad-path'],
  ['parent segment', { files: withFile('a/../x.rego', '') }, 'bad-path'],
  ['dot segment', { files: withFile('./x.rego', '') }, 'bad-path'],
  ['backslash', { files: withFile('a\\x.rego', '') }, 'bad-path'],
  ['AppleDouble', { files: withFile('._policy.rego', '') }, 'bad-path'],
  ['hidden directory', { files: withFile('.git/config', '') }, 'bad-path'],
  ['empty segment', { files: withFile('a//x.rego', '') }, 'bad-path'],
  ['trailing slash', { files: withFile('a/', '') }, 'bad-path'],
  ['control character', { files: withFile('a\nb.rego', '') }, 'bad-path'],
  ['signatures file in sources', { files: withFile('.signatures.json', '{}') }, 'bad-path'],
  ['suffix signatures.json', { files: withFile('custody/signatures.json', '{}') }, 'bad-path'],
  ['second manifest', { files: withFile('custody/.manifest', '{}') }, 'bad-path'],
  ['suffix .manifest', { files: withFile('custody/x.manifest', '{}') }, 'bad-path'],
  ['patch.json', { files: withFile('custody/patch.json', '{}') }, 'bad-path'],
  ['data.yaml', { files: withFile('custody/data.yaml', 'a: 1') }, 'bad-path'],
  ['data.yml', { files: withFile('custody/data.yml', 'a: 1') }, 'bad-path'],
  ['empty revision', { revision: '' }, 'bad-revision'],
  ['lone surrogate revision', { revision: '\ud800' }, 'bad-revision'],
  ['signing without iat', { iat: undefined }, 'bad-iat'],
  ['fractional iat', { iat: 1.5 }, 'bad-iat'],
];

for (const [what, override, code] of REFUSALS) {
  test(`refused: ${what} → ${code}`, async () => {
    try {
      await buildBundle({ ...base, ...override });
    } catch (err) {
      assert.instance(err, BundleError);
      assert.is((err as BundleError).code, code, (err as Error).message);
      return;
    }
    assert.unreachable(`expected ${code}`);
  });
}

test.run();
