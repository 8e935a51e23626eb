// Shared by the bundle tests: the real `opa` binary, throwaway keys and small bundle sources.
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { opaBinary } from '../helpers/opa.js';

/** OPA's file-digest test vectors; their README says where the expected digests come from. */
export const VECTORS = fileURLToPath(new URL('../fixtures/opa-testvectors/', import.meta.url));

export interface Run {
  readonly code: number;
  /** stdout and stderr together: the OPA CLI prints its "error: ..." lines on stdout. */
  readonly output: string;
}

export function opa(args: readonly string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(opaBinary(), args, { timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      if (err !== null && code === -1) reject(err);
      else resolve({ code, output: `${stdout}${stderr}` });
    });
    // opa may exit before it reads its input (a refused flag, a busy machine): the broken pipe is
    // then expected, and the exit code and output say what happened.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(stdin ?? '');
  });
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'custody-bundle-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A tar.gz with arbitrary entries (links, directories, duplicates) that writeTarball never makes. */
export async function rawTarball(entries: ReadonlyArray<readonly [Partial<Header> & Pick<Header, 'name'>, (string | Uint8Array)?]>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve) => p.on('end', () => resolve()));
  for (const [header, content] of entries) p.entry(header, content ?? '');
  p.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

/** Keys are made per run: nothing secret is committed, and the PEM forms cover every parser path. */
export const keys = {
  rsaPkcs1: () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  rsaPkcs8: () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  ecSec1: (curve: 'P-256' | 'P-384' | 'P-521') =>
    generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
  ecPkcs8: (curve: 'P-256' | 'P-384' | 'P-521') =>
    generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
};

export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

export const POLICY = 'package custody.authz\n\ndefault allow := false\n\nallow if input.caller in data.custody.callers\n';

/** Written as text, not JSON.stringify, so number literals and escapes stay exactly as here. */
export const AWKWARD_DATA =
  '{"custody": {"callers": ["spiffe://td/ns/w/sa/owner"],\n' +
  '  "ünïcödé": "raw\u2028sep\u2029 escaped\\u2028sep\\u2029",\n' +
  '  "😀": {"ratio": 1.50, "big": 12345678901234567890123, "exp": 1E+2, "neg": -0, "pair": "\\ud83d\\ude00"},\n' +
  '  "！": "fullwidth", "html": "<a href=\\"x\\">&</a>", "slash": "a\\/b", "ctl": "\\b\\f\\u0001\\u007f\\t"}}';

export function sources(data: string = AWKWARD_DATA): Map<string, Uint8Array> {
  return new Map([
    ['.manifest', utf8('{"roots": ["custody"], "rego_version": 1, "metadata": {"workflow": "w", "agent": "owner"}}')],
    ['policy.rego', utf8(POLICY)],
    ['data.json', utf8(data)],
  ]);
}

/** Serves one tarball over loopback HTTP, the way OPA's bundle plugin downloads it. */
export async function serveOnce(bytes: Uint8Array): Promise<{ url: string; close: () => Promise<void> }> {
  const { createServer } = await import('node:http');
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/gzip', etag: '"t"' });
    res.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Runs `opa run --server` with `config` until its bundle plugin logs an activation or a failure,
 * then stops it. Returns that log message.
 */
export function opaServerBundleOutcome(configPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(opaBinary(), ['run', '--server', '--addr', '127.0.0.1:0', '--config-file', configPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let buffered = '';
    let settled = false;
    const timer = setTimeout(() => finish(new Error(`no bundle outcome within 10 s:\n${buffered}`)), 10_000);
    const finish = (outcome: string | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      buffered += chunk;
      for (const line of buffered.split('\n')) {
        const msg = /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
        if (msg !== undefined && /^Bundle (loaded and activated|load failed)/.test(msg)) finish(JSON.parse(`"${msg}"`) as string);
      }
    });
    child.on('error', (err) => finish(err));
  });
}
