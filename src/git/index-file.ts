/**
 * Git's index (`.git/index`, the "dircache"), patched in place for the paths a commit changed:
 * every other entry is copied through as bytes. isomorphic-git's index manager parses every
 * entry into an object and serialises it again on each write, which cost more than the rest of
 * a 5,000-file incremental commit together; this keeps the cost proportional to the change.
 *
 * Format (Documentation/gitformat-index.txt): "DIRC", version, entry count; entries sorted by
 * path bytes then stage, each 62 bytes of stat data, object id and flags (+2 bytes of extended
 * flags in version 3), the path, 1–8 NULs to a multiple of 8; extensions; SHA-1 of everything
 * before. Versions 2 and 3 are written back as they were; version 4 (prefix-compressed paths)
 * and the mandatory extensions `link` (split index) and `sdir` (sparse index) are refused.
 * Optional extensions that cache derived data (TREE, UNTR, FSMN, EOIE, IEOT) are dropped, as
 * Git itself drops invalid caches; REUC (resolve-undo) is kept. A path that is not valid UTF-8 is
 * refused (`unsupported-path`): as a JavaScript string it would lose its bytes, and with them its
 * entry.
 *
 * The new index goes to `index.lock` (created exclusively: Git's own lock, so no Git command
 * runs on the index meanwhile) and is renamed over `index`.
 */
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import path from 'node:path';
import { sortUtf8 } from '../core/order.js';
import { GitopsError } from './errors.js';
import type { Fs } from './repository.js';

export interface IndexUpdate {
  /** Repository path. */
  readonly path: string;
  /** Blob id; undefined removes the entry. */
  readonly oid?: string;
  /** The entry's mode (`0o100644` or `0o100755`); default `0o100644`. */
  readonly mode?: number;
  /** The working file's stat data; undefined leaves it zero (Git will re-check the file). */
  readonly stat?: BigIntStats;
}

interface Parsed {
  readonly version: number;
  /** Path → raw entry bytes (stage 0 only: unmerged indexes are refused). */
  readonly entries: Map<string, Buffer>;
  readonly extensions: Buffer[];
}

/** What the index holds for a path. */
export interface IndexEntry {
  readonly oid: string;
  /** `0o100644`, `0o100755`, `0o120000` (a link) or `0o160000` (a submodule). */
  readonly mode: number;
}

const HEADER = 12;
const U32 = 2n ** 32n;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export class GitIndexFile {
  private constructor(
    private readonly fs: Fs,
    private readonly file: string,
    private readonly lock: string,
    private readonly parsed: Parsed,
  ) {}

  /** Takes Git's lock on the index and reads it (a missing index is an empty one). */
  static async open(fs: Fs, gitdir: string): Promise<GitIndexFile> {
    const file = path.join(gitdir, 'index');
    const lock = `${file}.lock`;
    try {
      await fs.promises.writeFile(lock, '', { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new GitopsError(
          'index-locked',
          `${lock} exists: another Git command is running in this repository, or one stopped without cleaning up; nothing was committed`,
          'wait for it to finish; if none is running, delete the lock file and run the command again',
        );
      }
      throw err;
    }
    try {
      let bytes: Buffer | undefined;
      try {
        bytes = await fs.promises.readFile(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      return new GitIndexFile(fs, file, lock, bytes ? parse(bytes) : { version: 2, entries: new Map(), extensions: [] });
    } catch (err) {
      await fs.promises.rm(lock, { force: true });
      throw err;
    }
  }

  /** The blob id and mode of each path, as the index has them. */
  entries(): Map<string, IndexEntry> {
    const out = new Map<string, IndexEntry>();
    for (const [p, raw] of this.parsed.entries) out.set(p, { oid: raw.toString('hex', 40, 60), mode: raw.readUInt32BE(24) });
    return out;
  }

  /** Writes the index with the updates and releases the lock. */
  async commit(updates: readonly IndexUpdate[]): Promise<void> {
    const entries = this.parsed.entries;
    for (const u of updates) {
      if (u.oid === undefined) entries.delete(u.path);
      else entries.set(u.path, entry(u.path, u.oid, u.mode ?? 0o100644, u.stat));
    }
    // Git sorts entries by path bytes; for ASCII paths JavaScript's string order is the same.
    const all = [...entries.keys()];
    const paths = all.every((p) => /^[\x00-\x7f]*$/.test(p)) ? all.sort() : sortUtf8(all);
    const header = Buffer.alloc(HEADER);
    header.write('DIRC', 0, 'latin1');
    header.writeUInt32BE(this.parsed.version, 4);
    header.writeUInt32BE(paths.length, 8);
    const body = Buffer.concat([header, ...paths.map((p) => entries.get(p)!), ...this.parsed.extensions]);
    const sum = createHash('sha1').update(body).digest();
    try {
      await this.fs.promises.writeFile(this.lock, Buffer.concat([body, sum]));
      await this.fs.promises.rename(this.lock, this.file);
    } catch (err) {
      await this.release();
      throw err;
    }
  }

  /** Releases the lock without writing. */
  async release(): Promise<void> {
    await this.fs.promises.rm(this.lock, { force: true });
  }
}

function unsupported(why: string): GitopsError {
  return new GitopsError(
    'index-unsupported',
    `Custody cannot rewrite this repository's index (${why}); nothing was committed`,
    'rewrite it in version 2 without a split or sparse index (git update-index --index-version 2 --no-split-index; git sparse-checkout disable), then run the command again',
  );
}

function parse(bytes: Buffer): Parsed {
  if (bytes.length < HEADER + 20 || bytes.toString('latin1', 0, 4) !== 'DIRC') throw unsupported('not an index file');
  const sum = createHash('sha1')
    .update(bytes.subarray(0, bytes.length - 20))
    .digest();
  if (!sum.equals(bytes.subarray(bytes.length - 20))) throw unsupported('its checksum does not match: it is damaged');
  const version = bytes.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw unsupported(`version ${version}`);
  const count = bytes.readUInt32BE(8);
  const entries = new Map<string, Buffer>();
  let at = HEADER;
  for (let i = 0; i < count; i++) {
    const flags = bytes.readUInt16BE(at + 60);
    const extended = (flags & 0x4000) !== 0;
    const stage = (flags >> 12) & 3;
    const start = at + 62 + (extended ? 2 : 0);
    const end = bytes.indexOf(0, start);
    if (end < 0) throw unsupported('an entry has no end');
    let p: string;
    try {
      p = UTF8.decode(bytes.subarray(start, end));
    } catch {
      throw unsupportedPath(bytes.subarray(start, end), 'the index');
    }
    if (stage !== 0) {
      throw new GitopsError(
        'unmerged-paths',
        `a merge is in progress (${p} is unmerged): nothing was committed`,
        'finish or abort the merge (git merge --continue or --abort), then run the command again',
      );
    }
    const length = Math.ceil((end - at + 1) / 8) * 8;
    entries.set(p, bytes.subarray(at, at + length));
    at += length;
  }
  const extensions: Buffer[] = [];
  while (at < bytes.length - 20) {
    const signature = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32BE(at + 4);
    if (!/^[A-Z]/.test(signature))
      throw unsupported(`the "${signature}" extension${signature === 'link' ? ' (a split index)' : signature === 'sdir' ? ' (a sparse index)' : ''}`);
    if (signature === 'REUC') extensions.push(bytes.subarray(at, at + 8 + size));
    at += 8 + size;
  }
  return { version, entries, extensions };
}

/**
 * A path as native Git prints it with `core.quotePath` (`"a\350"`): `\a \b \t \n \v \f \r`, `\"`
 * and `\\` as in C, other control characters and bytes above 0x7e in octal, the whole in double
 * quotes when anything was escaped.
 */
export function quotePath(name: Uint8Array): string {
  let out = '';
  for (const b of name) {
    if (b >= 0x07 && b <= 0x0d) out += `\\${'abtnvfr'[b - 0x07]}`;
    else if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out.length === name.length ? out : `"${out}"`;
}

/** The path in Bash's `$'…'` quoting, which takes the same octal escapes: for a command to paste. */
function shellPath(name: Uint8Array): string {
  let out = '';
  for (const b of name) out += b < 0x20 || b > 0x7e || b === 0x27 || b === 0x5c ? `\\${b.toString(8).padStart(3, '0')}` : String.fromCharCode(b);
  return `$'${out}'`;
}

/** The refusal of a path that is not valid UTF-8 (`where`: the index, or HEAD). */
export function unsupportedPath(name: Uint8Array, where: string): GitopsError {
  const quoted = quotePath(name);
  return new GitopsError(
    'unsupported-path',
    `${quoted} is not a valid UTF-8 file name (in ${where}): Custody cannot carry it through a commit unchanged; nothing was committed`,
    `rename it with native git (git mv ${shellPath(name)} NEW-NAME, then git commit), then run the command again`,
    { path: quoted },
  );
}

function entry(p: string, oid: string, mode: number, stat: BigIntStats | undefined): Buffer {
  const name = Buffer.from(p, 'utf8');
  const length = Math.ceil((62 + name.length + 1) / 8) * 8;
  const out = Buffer.alloc(length);
  const u32 = (n: bigint) => Number(((n % U32) + U32) % U32);
  if (stat) {
    out.writeUInt32BE(u32(stat.ctimeNs / 1_000_000_000n), 0);
    out.writeUInt32BE(u32(stat.ctimeNs % 1_000_000_000n), 4);
    out.writeUInt32BE(u32(stat.mtimeNs / 1_000_000_000n), 8);
    out.writeUInt32BE(u32(stat.mtimeNs % 1_000_000_000n), 12);
    out.writeUInt32BE(u32(stat.dev), 16);
    out.writeUInt32BE(u32(stat.ino), 20);
    out.writeUInt32BE(u32(stat.uid), 28);
    out.writeUInt32BE(u32(stat.gid), 32);
    out.writeUInt32BE(u32(stat.size), 36);
  }
  out.writeUInt32BE(mode, 24);
  out.write(oid, 40, 20, 'hex');
  out.writeUInt16BE(Math.min(name.length, 0xfff), 60);
  name.copy(out, 62);
  return out;
}
