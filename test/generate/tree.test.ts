import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, promises as fs, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readTree, recoverTrees, staleEntries, writeTree, writeTrees, type TreeFs, type Tree } from '../../src/generate/index.js';
import { stableJson } from '../../src/generate/index.js';

const tree = (files: Record<string, string>): Tree => ({ root: 'bundles', files: new Map(Object.entries(files)) });
const fresh = () => mkdtempSync(path.join(tmpdir(), 'custody-tree-'));

test('writes a tree, then replaces it whole (files that are no longer wanted go)', async () => {
  const out = fresh();
  await writeTree(out, tree({ 'a/x.json': '1', 'b/y.json': '2' }));
  await writeTree(out, tree({ 'a/x.json': '3', 'c/z.json': '4' }));
  const t = await readTree(path.join(out, 'bundles'));
  assert.equal(Object.fromEntries([...t!].map(([k, v]) => [k, v.toString()])), { 'a/x.json': '3', 'c/z.json': '4' });
  assert.equal(readdirSync(out), ['bundles'], 'no temporary folders left');
});

test('a failure while writing or renaming leaves the previous tree untouched', async () => {
  const out = fresh();
  await writeTree(out, tree({ 'a/x.json': 'old' }));
  for (const failAt of ['writeFile', 'rename-2']) {
    let renames = 0;
    const io: TreeFs = {
      mkdir: (p, o) => fs.mkdir(p, o),
      writeFile: async (p, d) => {
        if (failAt === 'writeFile' && p.endsWith('y.json')) throw new Error('disk full');
        await fs.writeFile(p, d);
      },
      rename: async (a, b) => {
        renames++;
        if (failAt === 'rename-2' && renames === 2) throw new Error('EXDEV');
        await fs.rename(a, b);
      },
      rm: (p, o) => fs.rm(p, o),
    };
    const err = await writeTree(out, tree({ 'a/x.json': 'new', 'b/y.json': 'new' }), io).catch((e: Error) => e);
    assert.instance(err, Error, failAt);
    const t = await readTree(path.join(out, 'bundles'));
    assert.equal(Object.fromEntries([...t!].map(([k, v]) => [k, v.toString()])), { 'a/x.json': 'old' }, failAt);
    assert.equal(readdirSync(out), ['bundles'], `${failAt}: no temporary folders left`);
  }
});

const named = (root: string, files: Record<string, string>): Tree => ({ root, files: new Map(Object.entries(files)) });
const contents = async (dir: string) => {
  const t = await readTree(dir);
  return t && Object.fromEntries([...t].map(([k, v]) => [k, v.toString()]));
};

test('a writer killed at any step leaves bundles/ and generated/ both old or, after recovery, both new; never missing', async () => {
  // A rename that never returns freezes the writer where a kill -9 would stop it.
  for (let stopAt = 1; stopAt <= 5; stopAt++) {
    const out = fresh();
    await writeTrees(out, [named('bundles', { 'b.json': 'old' }), named('generated', { 'g.yaml': 'old' })]);
    let renames = 0;
    const io: TreeFs = {
      mkdir: (p, o) => fs.mkdir(p, o),
      writeFile: (p, d) => fs.writeFile(p, d),
      rename: (a, b) => (++renames === stopAt ? new Promise<void>(() => undefined) : fs.rename(a, b)),
      rm: (p, o) => fs.rm(p, o),
    };
    void writeTrees(out, [named('bundles', { 'b.json': 'new' }), named('generated', { 'g.yaml': 'new' })], io);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(renames >= stopAt, `stop ${stopAt}: the writer reached the frozen rename`);
    await recoverTrees(out);
    const bundles = await contents(path.join(out, 'bundles'));
    const generated = await contents(path.join(out, 'generated'));
    // Before the staging folder is committed (rename 1) the old trees stay; after it, the new ones.
    const expected = stopAt === 1 ? 'old' : 'new';
    assert.equal(bundles, { 'b.json': expected }, `stop ${stopAt}: bundles`);
    assert.equal(generated, { 'g.yaml': expected }, `stop ${stopAt}: generated`);
    assert.equal(readdirSync(out).sort(), ['bundles', 'generated'], `stop ${stopAt}: no staging folder left`);
  }
});

test('recovery puts back a tree that an earlier writer left only in its old folder, and removes its staging', async () => {
  const out = fresh();
  await fs.mkdir(path.join(out, '.bundles.custody-old-0a1b2c', 'w'), { recursive: true });
  await fs.writeFile(path.join(out, '.bundles.custody-old-0a1b2c', 'w', 'x.json'), 'kept');
  await fs.mkdir(path.join(out, '.generated.custody-new-0a1b2c', 'half'), { recursive: true });
  await fs.mkdir(path.join(out, 'generated'));
  await recoverTrees(out);
  assert.equal(await contents(path.join(out, 'bundles')), { 'w/x.json': 'kept' });
  assert.equal(readdirSync(out).sort(), ['bundles', 'generated']);
});

test('stale entries: changed, missing and extra files', async () => {
  const out = fresh();
  await writeTree(out, tree({ 'a.json': '1', 'b.json': '2' }));
  assert.equal(await staleEntries(out, tree({ 'a.json': '1', 'b.json': '2' })), []);
  assert.equal(await staleEntries(out, tree({ 'a.json': '9', 'c.json': '3' })), [
    { path: 'bundles/a.json', kind: 'changed' },
    { path: 'bundles/b.json', kind: 'extra' },
    { path: 'bundles/c.json', kind: 'missing' },
  ]);
  assert.equal(
    (await staleEntries(fresh(), tree({ 'a.json': '1' }))).map((s) => s.kind),
    ['missing'],
  );
});

test('stable JSON: keys in UTF-8 byte order at every depth, undefined dropped, final newline', () => {
  const text = stableJson({ b: 1, a: { '😀': 1, '！': 2, z: [{ y: 1, x: 2 }] }, u: undefined });
  assert.is(text, '{\n  "a": {\n    "z": [\n      {\n        "x": 2,\n        "y": 1\n      }\n    ],\n    "！": 2,\n    "😀": 1\n  },\n  "b": 1\n}\n');
});

test.run();
