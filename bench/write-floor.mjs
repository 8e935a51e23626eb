// generate.bench.ts's floor: the same files written from memory by one Node process, as
// `custody generate` stages them (src/generate/tree-io.ts): every folder once, then the files
// 32 at a time. The tree is read into memory first, untimed; the time printed is the writing only.
// Usage: node write-floor.mjs <destination> <source folder>...
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const WRITERS = 32;
const [dest, ...sources] = process.argv.slice(2);
const files = new Map();
for (const source of sources) {
  const root = path.basename(source);
  for (const e of await readdir(source, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath ?? e.path, e.name);
    files.set(path.join(root, path.relative(source, full)), await readFile(full));
  }
}
const rels = [...files.keys()].sort();
const start = process.hrtime.bigint();
for (const dir of [...new Set(rels.map((r) => path.dirname(r)))].sort()) await mkdir(path.join(dest, dir), { recursive: true });
let next = 0;
const worker = async () => {
  while (next < rels.length) {
    const rel = rels[next++];
    await writeFile(path.join(dest, rel), files.get(rel));
  }
};
await Promise.all(Array.from({ length: WRITERS }, worker));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
let bytes = 0;
for (const b of files.values()) bytes += b.length;
console.log(JSON.stringify({ seconds, files: files.size, bytes }));
