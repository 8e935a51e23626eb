/**
 * A real Git server over smart HTTP on loopback: Git's own `git-http-backend` (the CGI program
 * Git ships, found with `git --exec-path`) behind a small CGI bridge on node:http. Optional
 * authentication (HTTP Basic with the token as password, as GitHub takes it, or Bearer) to test
 * refused credentials, an access log to check that no token ever appears in a URL, and bare
 * repositories whose pre-receive hook protects branches the way a forge does.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface GitHttpOptions {
  /** The folder holding the bare repositories (GIT_PROJECT_ROOT). */
  readonly root: string;
  /** When set, every request must carry it: Basic (any user name, this password) or Bearer. */
  readonly token?: string;
}

export interface LoggedRequest {
  readonly method: string;
  /** As requested: path and query. */
  readonly url: string;
  /** The authentication scheme sent, never the credentials. */
  readonly scheme?: string;
  readonly status: number;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly requests: LoggedRequest[];
  /** Raw request heads (request line and headers) as received, to search for leaked secrets. */
  readonly rawHeads: string[];
  close(): Promise<void>;
}

const BACKEND = path.join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-http-backend');

function authorized(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const [scheme, value = ''] = header.split(' ');
  if (scheme?.toLowerCase() === 'bearer') return value === token;
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1) === token;
  }
  return false;
}

export async function startGitHttp(options: GitHttpOptions): Promise<GitHttpServer> {
  const requests: LoggedRequest[] = [];
  const rawHeads: string[] = [];
  const server = http.createServer((req, res) => {
    rawHeads.push(
      `${req.method} ${req.url}\n${Object.entries(req.headers)
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join('\n')}`,
    );
    const scheme = req.headers.authorization?.split(' ')[0];
    const log = (status: number) => requests.push({ method: req.method ?? '', url: req.url ?? '', ...(scheme ? { scheme } : {}), status });
    if (options.token !== undefined && !authorized(req.headers.authorization, options.token)) {
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="custody-test"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      log(401);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: options.root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      REMOTE_USER: options.token !== undefined ? 'custody-test' : '',
      REMOTE_ADDR: '127.0.0.1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      // Receiving is off by default for anonymous users: this server decides who may push.
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.receivepack',
      GIT_CONFIG_VALUE_0: 'true',
    };
    const cgi = spawn(BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    req.pipe(cgi.stdin);
    cgi.stdin.on('error', () => undefined);
    let head = Buffer.alloc(0);
    let started = false;
    let status = 200;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (started) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf('\r\n\r\n');
      const lf = head.indexOf('\n\n');
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
      if (end < 0) return;
      const sep = end === crlf ? 4 : 2;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      started = true;
      res.write(head.subarray(end + sep));
    });
    let stderr = '';
    cgi.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    cgi.on('close', (code) => {
      if (!started) {
        status = 500;
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.write(`git-http-backend exited ${code}: ${stderr}`);
      }
      res.end();
      log(status);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    rawHeads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A bare repository `root/<name>` (e.g. `acme/custody.git`), its default branch `main`. */
export function bareRepository(root: string, name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', dir]);
  return dir;
}

/** Makes the branches refuse every update, in a pre-receive hook, with GitHub's words for it. */
export function protectBranches(bare: string, branches: readonly string[]): void {
  const hook = path.join(bare, 'hooks', 'pre-receive');
  writeFileSync(
    hook,
    `#!/bin/sh
status=0
while read old new ref; do
  case " ${branches.map((b) => `refs/heads/${b}`).join(' ')} " in
    *" $ref "*) echo "error: GH006: Protected branch update failed for $ref." >&2
               echo "error: Changes must be made through a pull request." >&2
               status=1 ;;
  esac
done
exit $status
`,
  );
  chmodSync(hook, 0o755);
}

/** The header native git sends with `-c http.extraHeader=…`, so a clone needs no credentials in its URL. */
export function basicAuthHeader(token: string): string {
  return `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}
