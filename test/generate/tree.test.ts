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

/**
 * File operations that stop for good at the `stopAt`-th rename or rm (counted together): a call
 * that never returns freezes the writer where a kill -9 would stop it.
 */
function freezing(stopAt: number) {
  const seen = { ops: 0 };
  const step = <T>(run: () => Promise<T>): Promise<T> => (++seen.ops === stopAt ? new Promise<T>(() => undefined) : run());
  const io: TreeFs = {
    mkdir: (p, o) => fs.mkdir(p, o),
    writeFile: (p, d) => fs.writeFile(p, d),
    rename: (a, b) => step(() => fs.rename(a, b)),
    rm: (p, o) => step(() => fs.rm(p, o)),
  };
  return { io, seen };
}
const settle = () => new Promise((r) => setTimeout(r, 50));
const both = (b: string, g: string) => [named('bundles', { 'b.json': b }), named('generated', { 'g.yaml': g })];
const state = async (out: string) => ({
  bundles: await contents(path.join(out, 'bundles')),
  generated: await contents(path.join(out, 'generated')),
  left: readdirSync(out).filter((n) => n !== 'bundles' && n !== 'generated'),
});

test('a writer killed at any step, then recovery: bundles/ and generated/ both as before (never completed, never half)', async () => {
  for (const before of ['old', undefined]) {
    // The renames and rms of one uninterrupted two-tree write: every one of them is a stop.
    const count = fresh();
    if (before) await writeTrees(count, both(before, before));
    const counted = freezing(0);
    await writeTrees(count, both('new', 'new'), counted.io);
    assert.ok(counted.seen.ops >= 5, `${counted.seen.ops} operations`);
    for (let stopAt = 1; stopAt <= counted.seen.ops; stopAt++) {
      const what = `before ${before}, stop ${stopAt}`;
      const out = fresh();
      if (before) await writeTrees(out, both(before, before));
      const { io, seen } = freezing(stopAt);
      void writeTrees(out, both('new', 'new'), io);
      await settle();
      assert.is(seen.ops, stopAt, `${what}: the writer reached the stop`);
      await recoverTrees(out);
      const after = await state(out);
      assert.equal(after.left, [], `${what}: no staging folder left`);
      // Until the last tree is in place the write is undone; past it, it may have committed.
      const expected = before ? { 'b.json': before } : undefined;
      if (stopAt <= 5) assert.equal([after.bundles, after.generated], [expected, before ? { 'g.yaml': before } : undefined], what);
      else assert.ok(after.bundles?.['b.json'] === after.generated?.['g.yaml'], `${what}: ${JSON.stringify(after)}`);
    }
  }
});

test('a recovery killed at any step is finished by the next one', async () => {
  for (let stopAt = 1; stopAt <= 8; stopAt++) {
    const out = fresh();
    await writeTrees(out, both('old', 'old'));
    // The writer stopped with the new bundles/ in place, generated/ moved aside.
    void writeTrees(out, both('new', 'new'), freezing(5).io);
    await settle();
    void recoverTrees(out, freezing(stopAt).io);
    await settle();
    await recoverTrees(out);
    assert.equal(await state(out), { bundles: { 'b.json': 'old' }, generated: { 'g.yaml': 'old' }, left: [] }, `stop ${stopAt}`);
  }
});

test('a failure at any step of a two-tree write leaves both trees as they were, and no staging', async () => {
  for (let failAt = 1; failAt <= 6; failAt++) {
    const out = fresh();
    await writeTrees(out, both('old', 'old'));
    let ops = 0;
    const fail = <T>(run: () => Promise<T>): Promise<T> => (++ops === failAt ? Promise.reject(new Error('EIO')) : run());
    const io: TreeFs = {
      mkdir: (p, o) => fs.mkdir(p, o),
      writeFile: (p, d) => fs.writeFile(p, d),
      rename: (a, b) => fail(() => fs.rename(a, b)),
      rm: (p, o) => fail(() => fs.rm(p, o)),
    };
    const err = await writeTrees(out, both('new', 'new'), io).catch((e: Error) => e);
    assert.instance(err, Error, `fail ${failAt}`);
    assert.equal(await state(out), { bundles: { 'b.json': 'old' }, generated: { 'g.yaml': 'old' }, left: [] }, `fail ${failAt}`);
  }
});

test('a ready folder is never swapped in by a later write, even without a marker (an earlier writer left it)', async () => {
  const out = fresh();
  await writeTrees(out, both('old', 'old'));
  // As the previous writer left it when killed after staging: no marker, nothing moved yet.
  await fs.mkdir(path.join(out, '.custody-ready-0a1b2c', 'bundles'), { recursive: true });
  await fs.writeFile(path.join(out, '.custody-ready-0a1b2c', 'bundles', 'b.json'), 'abandoned');
  await fs.mkdir(path.join(out, '.custody-ready-0a1b2c', 'generated'), { recursive: true });
  await fs.writeFile(path.join(out, '.custody-ready-0a1b2c', 'generated', 'g.yaml'), 'abandoned');
  await writeTree(out, named('generated', { 'g.yaml': 'unrelated' }));
  assert.equal(await state(out), { bundles: { 'b.json': 'old' }, generated: { 'g.yaml': 'unrelated' }, left: [] });
});

test('an earlier writer killed between swaps: the tree it put in place is taken back, the one it moved aside restored', async () => {
  const out = fresh();
  await writeTrees(out, both('old', 'old'));
  // bundles/ swapped (the old one in the old folder), generated/ moved aside, its new one not placed.
  await fs.mkdir(path.join(out, '.custody-old-0a1b2c'));
  await fs.rename(path.join(out, 'bundles'), path.join(out, '.custody-old-0a1b2c', 'bundles'));
  await fs.rename(path.join(out, 'generated'), path.join(out, '.custody-old-0a1b2c', 'generated'));
  await fs.mkdir(path.join(out, 'bundles'));
  await fs.writeFile(path.join(out, 'bundles', 'b.json'), 'abandoned');
  await fs.mkdir(path.join(out, '.custody-ready-0a1b2c', 'generated'), { recursive: true });
  await fs.writeFile(path.join(out, '.custody-ready-0a1b2c', 'generated', 'g.yaml'), 'abandoned');
  assert.equal((await recoverTrees(out)).sort(), ['.custody-old-0a1b2c', '.custody-ready-0a1b2c']);
  assert.equal(await state(out), { bundles: { 'b.json': 'old' }, generated: { 'g.yaml': 'old' }, left: [] });
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
