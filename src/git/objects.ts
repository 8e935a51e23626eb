/**
 * Git objects computed in memory: blob and tree ids exactly as Git computes them, so a desired
 * tree can be compared with a commit's by id, folder by folder, before anything is written.
 * (Git's object format: `<type> <size>\0<content>`, SHA-1; a tree's entries are
 * `<mode> <name>\0<20-byte id>`, sorted by name with folders compared as if named `name/`.)
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { cmp } from '../core/order.js';

export type ObjectType = 'blob' | 'tree' | 'commit';

/** A tree entry: mode as Git writes it in a tree (`100644`, `100755`, `120000`, `40000`, `160000`). */
export interface Entry {
  readonly mode: string;
  readonly type: ObjectType;
  readonly oid: string;
  /** Content of a blob built here (absent for entries taken from an existing tree): text is UTF-8. */
  readonly content?: Buffer | string;
  /** Sub-tree built here (absent for entries taken from an existing tree). */
  readonly tree?: MemoryTree;
}

export interface MemoryTree {
  readonly oid: string;
  /** By name. */
  readonly entries: ReadonlyMap<string, Entry>;
  /** The tree object's content (without header). */
  readonly bytes: Buffer;
}

export function wrap(type: ObjectType, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]);
}

export function objectId(type: ObjectType, content: Buffer | string): string {
  // Text is hashed as UTF-8 without first copying it into a buffer: most files never need one.
  const size = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.length;
  return createHash('sha1').update(`${type} ${size}\0`).update(content).digest('hex');
}

export const bytesOf = (content: Buffer | string) => (typeof content === 'string' ? Buffer.from(content, 'utf8') : content);

/** A loose object file's bytes. Level 1: Git's own default for loose objects (core.looseCompression). */
export function looseObject(type: ObjectType, content: Buffer | string): Buffer {
  return deflateSync(wrap(type, bytesOf(content)), { level: 1 });
}

/** isomorphic-git reports folders as `040000`; inside a tree object Git writes `40000`. */
export function treeMode(mode: string): string {
  return mode.replace(/^0+/, '');
}

export function treeBytes(entries: ReadonlyMap<string, Entry>): Buffer {
  // Git orders entries by name bytes, a folder as if named `name/`. For ASCII names JavaScript's
  // string order is the same; other names are compared as UTF-8 bytes.
  const keyed = [...entries].map(([name, e]) => ({ name, e, key: e.type === 'tree' ? `${name}/` : name }));
  const ascii = keyed.every((k) => /^[\x00-\x7f]*$/.test(k.key));
  keyed.sort(ascii ? (a, b) => cmp(a.key, b.key) : (a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  const heads = keyed.map(({ name, e }) => `${treeMode(e.mode)} ${name}\0`);
  const out = Buffer.allocUnsafe(heads.reduce((n, h) => n + Buffer.byteLength(h, 'utf8') + 20, 0));
  let at = 0;
  keyed.forEach(({ e }, i) => {
    at += out.write(heads[i]!, at, 'utf8');
    at += out.write(e.oid, at, 20, 'hex');
  });
  return out;
}

export function makeTree(entries: ReadonlyMap<string, Entry>): MemoryTree {
  const bytes = treeBytes(entries);
  return { oid: objectId('tree', bytes), entries, bytes };
}

/**
 * The tree of a set of files (paths with `/`, regular files, mode 100644), plus entries kept as
 * they are at the top level (e.g. files of an existing folder that Custody does not own).
 * Returns undefined for no entries at all: Git records no empty folders.
 */
export function buildTree(files: Iterable<readonly [string, Buffer | string]>, kept: ReadonlyMap<string, Entry> = new Map()): MemoryTree | undefined {
  interface Dir {
    files: Map<string, Buffer | string>;
    dirs: Map<string, Dir>;
  }
  const root: Dir = { files: new Map(), dirs: new Map() };
  for (const [path, content] of files) {
    const parts = path.split('/');
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      let next = dir.dirs.get(part);
      if (!next) dir.dirs.set(part, (next = { files: new Map(), dirs: new Map() }));
      dir = next;
    }
    dir.files.set(parts.at(-1)!, content);
  }
  const build = (dir: Dir, top: boolean): MemoryTree | undefined => {
    const entries = new Map<string, Entry>(top ? kept : []);
    for (const [name, content] of dir.files) entries.set(name, { mode: '100644', type: 'blob', oid: objectId('blob', content), content });
    for (const [name, sub] of dir.dirs) {
      const tree = build(sub, false);
      if (tree) entries.set(name, { mode: '40000', type: 'tree', oid: tree.oid, tree });
    }
    return entries.size ? makeTree(entries) : undefined;
  };
  return build(root, true);
}

/** Every file of a tree built here, by path. */
export function* treeFiles(tree: MemoryTree, prefix = ''): Generator<[string, Entry]> {
  for (const [name, e] of tree.entries) {
    const path = prefix ? `${prefix}/${name}` : name;
    if (e.type === 'tree' && e.tree) yield* treeFiles(e.tree, path);
    else yield [path, e];
  }
}
