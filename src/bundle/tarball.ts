import { promisify } from 'node:util';
import { constants, gunzip, gzip } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import { BundleError } from './errors.js';
import { sortUtf8 } from '../core/order.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Byte 9 of a gzip member (RFC 1952 OS field); zlib fills in the build platform. */
const GZIP_OS_OFFSET = 9;
const GZIP_OS_UNKNOWN = 0xff;

/**
 * Writes a bundle tarball the way OPA's own writer does (internal/file/archive/tarball.go):
 * regular files only, no directory entries, each named `/` + relative path, mode 0600, mtime 0.
 * Owner ids and names are zeroed and files are sorted by their UTF-8 bytes, so the same files give
 * the same tar bytes on any machine. Entry order is irrelevant to OPA, which buffers the whole tar.
 *
 * The gzip layer uses a fixed level and a fixed OS byte. Its deflate stream is reproducible for a
 * given Node.js build, but Node's zlib is not canonical zlib and has changed output across releases
 * (nodejs/node#50138): replicas that must agree on ETags should run the same Node.js.
 *
 * `files` keys are relative paths without a leading slash; they are not validated here (tests use
 * this writer to produce deliberately bad bundles); buildBundle validates sources.
 */
export async function writeTarball(files: ReadonlyMap<string, Uint8Array>): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    tar.on('end', resolve);
    tar.on('error', reject);
  });
  for (const name of sortUtf8(files.keys())) {
    const content = files.get(name) as Uint8Array;
    await new Promise<void>((resolve, reject) => {
      tar.entry(
        {
          name: `/${name}`,
          type: 'file',
          mode: 0o600,
          mtime: new Date(0),
          uid: 0,
          gid: 0,
          uname: '',
          gname: '',
        },
        Buffer.from(content.buffer, content.byteOffset, content.byteLength),
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }
  tar.finalize();
  await done;
  const gz = await gzipAsync(Buffer.concat(chunks), { level: constants.Z_BEST_COMPRESSION });
  gz[GZIP_OS_OFFSET] = GZIP_OS_UNKNOWN;
  return gz;
}

/**
 * Reads a bundle tarball back into relative path → bytes, keeping what OPA keeps: regular files
 * only (v1/bundle/file.go skips every other entry type), with one leading `/` removed, which is
 * the name OPA looks up in the signature (`strings.TrimPrefix(path, "/")` in Reader.Read).
 */
export async function readTarball(bytes: Uint8Array): Promise<Map<string, Buffer>> {
  let tar: Buffer;
  try {
    tar = await gunzipAsync(bytes);
  } catch (err) {
    throw new BundleError('bad-tarball', `not gzip data: ${(err as Error).message}`);
  }
  const files = new Map<string, Buffer>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c) => parts.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') {
          const name = header.name.startsWith('/') ? header.name.slice(1) : header.name;
          if (files.has(name)) return next(new BundleError('bad-tarball', 'duplicate entry', name));
          files.set(name, Buffer.concat(parts));
        }
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', (err) => reject(err instanceof BundleError ? err : new BundleError('bad-tarball', err.message)));
  });
  ex.end(tar);
  await done;
  return files;
}
