/** Commands around the bundle server: serve, status, keygen. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ConfigError,
  DEV_KEY_ID,
  devPaths,
  embeddedDefault,
  formatRollout,
  loadConfig,
  startServer,
  type RolloutView,
  type ServerConfig,
} from '../server/index.js';
import { help, parse, type Command } from './commands.js';
import { OperationalError, UsageError } from './errors.js';
import { EXIT, repositoryRoot, type Io } from './io.js';
import { isKeyId, KEYS_DIR } from '../contract/index.js';
import { generateSigningKey } from '../keys/index.js';
import { noteUncommitted, repositoryAt } from './head-check.js';

const DEFAULT_URL = 'http://127.0.0.1:8800';

const serve: Command = {
  summary: 'serve signed policy bundles to the OPA sidecars and collect what they enforce',
  help: `Usage: custody serve [--config FILE] [--host HOST] [--port PORT]

Builds an OPA bundle for every agent from bundles/ at the head of a Git branch, signs it, and
serves it at /bundles/<workflow>/<agent>.tar.gz (ETag, 304, long polling); receives the sidecars'
status (/status) and decision logs (/logs); shows the rollout at /api/rollout (custody status).

Without --config (and without CUSTODY_REPOSITORY), it runs the embedded default on this clone:
it makes a development signing key and a token per agent under .custody/dev/ on first run
(Git ignores that folder) and says where. With --config FILE (YAML), docs/server.md describes
every setting; CUSTODY_* environment variables override the file (CUSTODY_WEBHOOK_SECRET and
CUSTODY_GIT_TOKEN are read from the environment only). It serves what is committed on the branch,
never the working tree, and says which commit, and what the working tree holds that it does not.
Running it in production (authentication, limits, the rollout view): docs/server.md.

Options:
  --config FILE   server configuration (YAML or JSON)
  --host HOST     listen address (default 127.0.0.1)
  --port PORT     listen port (default 8800; 0 picks a free one)
  -h, --help      this help

Runs until interrupted (SIGINT/SIGTERM).

Exit codes: 0 stopped by a signal, 2 usage or configuration error, 3 failure.
`,
  async run(args, io) {
    const { values } = parse(args, { config: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } });
    if (values.help) return help(io, this);
    const overrides: Partial<Record<keyof ServerConfig, unknown>> = {};
    if (values.host) overrides.host = values.host;
    if (values.port !== undefined) {
      if (!/^\d+$/.test(values.port)) throw new UsageError(`--port ${values.port} is not a port number`);
      overrides.port = Number(values.port);
    }
    const env = process.env;
    let config: ServerConfig;
    try {
      if (values.config || env.CUSTODY_REPOSITORY) {
        config = loadConfig({ ...(values.config ? { file: values.config } : {}), env, cwd: io.cwd, overrides });
      } else {
        const root = repositoryRoot(io.cwd);
        if (!existsSync(path.join(root, '.git')))
          throw new UsageError('the embedded default serves the Git repository you are in; run it inside a clone, or pass --config');
        const embedded = embeddedDefault(root, overrides);
        const { dev } = embedded;
        config = embedded.config;
        const rel = (f: string) => path.relative(io.cwd, f) || '.';
        io.stdout.write(`embedded default (development only):\n`);
        io.stdout.write(
          `  signing key   ${rel(dev.signingKeyFile)} (key id ${DEV_KEY_ID})${dev.created.includes(dev.signingKeyFile) ? ', created now' : ''}\n`,
        );
        io.stdout.write(`  agent tokens  ${rel(dev.agentTokensDir)}/<workflow>/<agent>.token (${dev.agentTokenFiles.size} agents)\n`);
        io.stdout.write(`  admin token   ${rel(dev.adminTokenFile)} (for custody status)\n`);
      }
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(`configuration: ${err.message}`);
      throw err;
    }
    const logger = {
      info: (m: string) => io.stdout.write(`${new Date().toISOString()} ${m}\n`),
      error: (m: string) => io.stderr.write(`${new Date().toISOString()} error: ${m}\n`),
    };
    let server;
    try {
      server = await startServer(config, { logger, env });
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(`configuration: ${err.message}`);
      throw new OperationalError(`cannot start: ${(err as Error).message}`);
    }
    const head = server.catalog.status().head;
    // Which revision is served, always: the branch and its commit, never the working tree.
    const local = /^https?:\/\//.test(config.repository) ? undefined : repositoryAt(config.repository);
    const uncommitted = await noteUncommitted(io, 'serve', local);
    const branch = config.branch ?? uncommitted?.branch ?? (local ? 'main' : "the remote's default branch");
    io.stdout.write(
      `serving ${server.catalog.all().length} bundles of ${config.repository}, branch ${branch} at ${head ? head.commit.slice(0, 12) : 'no commit yet'}, on ${server.url}\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    return EXIT.ok;
  },
};

const status: Command = {
  summary: "show which policy revision every agent's sidecar enforces",
  help: `Usage: custody status [--server URL] [--token-file FILE] [--json]

Reads the bundle server's rollout view: per workflow and agent, the revision served, the
revision each sidecar reports active and when, build and sidecar errors, and recent denials.

Options:
  --server URL       the bundle server (default ${DEFAULT_URL}, or CUSTODY_SERVER)
  --token-file FILE  an admin token (default: the embedded default's .custody/dev/admin.token,
                     or CUSTODY_ADMIN_TOKEN)
  --json             the view as JSON
  -h, --help         this help

Exit codes: 0 every agent in sync, 1 some agent not in sync or in error, 2 usage, 3 unreachable.
`,
  async run(args, io) {
    const { values } = parse(args, { server: { type: 'string' }, 'token-file': { type: 'string' }, json: { type: 'boolean' } });
    if (values.help) return help(io, this);
    const server = values.server ?? process.env.CUSTODY_SERVER ?? DEFAULT_URL;
    let token = process.env.CUSTODY_ADMIN_TOKEN;
    const tokenFile = values['token-file'] ?? (token ? undefined : devPaths(repositoryRoot(io.cwd)).adminTokenFile);
    if (tokenFile && existsSync(tokenFile)) token = readFileSync(tokenFile, 'utf8').trim();
    else if (values['token-file']) throw new UsageError(`no admin token at ${tokenFile}: pass --token-file or set CUSTODY_ADMIN_TOKEN`);
    let response: Response;
    try {
      // Asked even without a token: a server that is not running is the first thing to say.
      response = await fetch(new URL('/api/rollout', server), {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw unreachable(server, err);
    }
    if ((response.status === 401 || response.status === 403) && !token) {
      throw new UsageError(`${server} wants an admin token and there is none at ${tokenFile}`, {
        hint: 'pass --token-file or set CUSTODY_ADMIN_TOKEN; the embedded default writes .custody/dev/admin.token when custody serve starts',
      });
    }
    if (!response.ok) throw new OperationalError(`${server} answered ${response.status}: ${await response.text()}`);
    const view = (await response.json()) as RolloutView;
    await noteUncommitted(io, 'status', repositoryAt(io.cwd));
    io.stdout.write(values.json ? `${JSON.stringify(view, null, 2)}\n` : formatRollout(view));
    return view.agents.every((a) => a.inSync && !a.buildError) ? EXIT.ok : EXIT.invalid;
  },
};

/** Why a server did not answer, in words: a stopped server is said to be one. */
function unreachable(server: string, err: unknown): OperationalError {
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  const why = cause ?? (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
  if ((err as Error).name === 'TimeoutError')
    return new OperationalError(`${server} did not answer within 10 s`, { hint: 'check the URL and that the server is not overloaded' });
  if (cause === 'ECONNREFUSED') {
    return new OperationalError(`no bundle server is running at ${server} (connection refused)`, {
      hint: 'start one with custody serve, or pass the URL of yours with --server or CUSTODY_SERVER',
    });
  }
  if (cause === 'ENOTFOUND' || cause === 'EAI_AGAIN')
    return new OperationalError(`cannot resolve the host of ${server} (${cause})`, { hint: 'check the URL given with --server or CUSTODY_SERVER' });
  return new OperationalError(`cannot reach ${server} (${why})`, { hint: 'check the URL and the network' });
}

const keygen: Command = {
  summary: 'make a bundle signing key pair: the private key outside Git, the public key in keys/',
  help: `Usage: custody keygen --id ID [--algorithm RS256|ES256] [--private FILE] [--public-dir DIR]

Creates a signing key pair for the bundle server. The private key goes to FILE (default
.custody/keys/<ID>.key.pem, mode 0600, ignored by Git; store it as the Kubernetes Secret the
server's Deployment references). The public key goes to <DIR>/<ID>.pem (default keys/), where
custody generate reads it into every sidecar's OPA configuration. Refuses to overwrite.

Options:
  --id ID             the key id (required): a DNS-1123 label, e.g. bundles-2026
  --algorithm ALG     RS256 (default) or ES256
  --private FILE      where the private key goes (default .custody/keys/<ID>.key.pem)
  --public-dir DIR    where the public key goes (default keys/)
  -h, --help          this help

Exit codes: 0 written, 2 usage error (no --id, a bad one, or a file that exists), 3 write failure.
`,
  async run(args, io) {
    const { values } = parse(args, { id: { type: 'string' }, algorithm: { type: 'string' }, private: { type: 'string' }, 'public-dir': { type: 'string' } });
    if (values.help) return help(io, this);
    const id = values.id;
    if (id === undefined) throw new UsageError('--id is required: the key id sidecars will name, e.g. --id bundles-2026');
    if (!isKeyId(id)) throw new UsageError(`--id ${id} is not a DNS-1123 label (lowercase letters, digits and -), e.g. bundles-2026`);
    const algorithm = values.algorithm ?? 'RS256';
    if (algorithm !== 'RS256' && algorithm !== 'ES256') throw new UsageError('--algorithm is RS256 or ES256');
    const root = repositoryRoot(io.cwd);
    const privateFile = path.resolve(io.cwd, values.private ?? path.join(root, '.custody', 'keys', `${id}.key.pem`));
    const publicFile = path.join(path.resolve(io.cwd, values['public-dir'] ?? path.join(root, KEYS_DIR)), `${id}.pem`);
    for (const f of [privateFile, publicFile]) if (existsSync(f)) throw new UsageError(`${f} exists; choose another --id`);
    const pair = generateSigningKey(algorithm);
    mkdirSync(path.dirname(privateFile), { recursive: true, mode: 0o700 });
    mkdirSync(path.dirname(publicFile), { recursive: true });
    writeFileSync(privateFile, pair.privateKeyPem, { mode: 0o600 });
    writeFileSync(publicFile, pair.publicKeyPem);
    io.stdout.write(
      `private key ${path.relative(io.cwd, privateFile)} (keep it out of Git)\npublic key  ${path.relative(io.cwd, publicFile)} (commit it)\nfingerprint ${pair.fingerprint} (what the pull request's summary will name)\n`,
    );
    return EXIT.ok;
  },
};

export const SERVER_COMMANDS: Readonly<Record<string, Command>> = { serve, status, keygen };

export type { Io };
