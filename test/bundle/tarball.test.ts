import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BundleError, readTarball, writeTarball } from '../../src/bundle/index.js';
import { rawTarball, utf8 } from './fixtures.js';

interface Entry {
  name: string;
  type: string | null | undefined;
  mode: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  uname: string | undefined;
  gname: string | undefined;
  mtime: number | undefined;
}

async function headers(gz: Buffer): Promise<Entry[]> {
  const out: Entry[] = [];
  const ex = extract();
  ex.on('entry', (h, stream, next) => {
    out.push({ name: h.name, type: h.type, mode: h.mode, uid: h.uid, gid: h.gid, uname: h.uname, gname: h.gname, mtime: h.mtime?.getTime() });
    stream.on('end', next);
    stream.resume();
  });
  const done = new Promise<void>((resolve) => ex.on('finish', () => resolve()));
  ex.end(gunzipSync(gz));
  await done;
  return out;
}

const files = new Map<string, Uint8Array>([
  ['policy.rego', utf8('package x\n')],
  ['.manifest', utf8('{}')],
  ['data.json', utf8('{}')],
  ['a/ünï/data.json', utf8('[1]')],
  ['z', new Uint8Array(0)],
]);

test('entries are OPA-style: regular files named /path, 0600, epoch mtime, no owner, sorted', async () => {
  const entries = await headers(await writeTarball(files));
  assert.equal(
    entries.map((e) => e.name),
    ['/.manifest', '/a/ünï/data.json', '/data.json', '/policy.rego', '/z'],
  );
  for (const e of entries) {
    assert.equal({ ...e, name: '' }, { name: '', type: 'file', mode: 0o600, uid: 0, gid: 0, uname: '', gname: '', mtime: 0 });
  }
});

test('same files, any insertion order: byte-identical tarball', async () => {
  const reversed = new Map([...files].reverse());
  const a = await writeTarball(files);
  const b = await writeTarball(reversed);
  assert.ok(a.equals(b));
  assert.is(a[9], 0xff, 'gzip OS byte is fixed, not the build platform');
});

test('round trip: reader strips the one leading slash OPA strips', async () => {
  const back = await readTarball(await writeTarball(files));
  assert.equal([...back.keys()].sort(), [...files.keys()].sort());
  for (const [name, bytes] of files) assert.ok(Buffer.from(bytes).equals(back.get(name) as Buffer), name);
});

test('reader keeps only regular files, like OPA, and rejects duplicates and garbage', async () => {
  const back = await readTarball(
    await rawTarball([
      [{ name: 'dir/', type: 'directory' }],
      [{ name: 'x.rego', type: 'symlink', linkname: '/etc/passwd' }],
      [{ name: 'y.rego' }, 'package y\n'],
    ]),
  );
  assert.equal([...back.keys()], ['y.rego']);

  const dup = await rawTarball([
    [{ name: '/a' }, '1'],
    [{ name: 'a' }, '2'],
  ]);
  for (const bytes of [dup, utf8('not gzip')]) {
    try {
      await readTarball(bytes);
      assert.unreachable('expected bad-tarball');
    } catch (err) {
      assert.instance(err, BundleError);
      assert.is((err as BundleError).code, 'bad-tarball');
    }
  }
});

test.run();
