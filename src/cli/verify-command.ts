/** `custody verify`: every triple of every workflow, asked of real OPA sidecars fed by the bundle server. */
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { WORKFLOWS_DIR } from '../contract/index.js';
import { algorithmOf } from '../keys/index.js';
import { DEV_KEY_ID, devPaths, publicKeyPemOf, startEmbeddedServer, type EmbeddedServer, type RolloutView } from '../server/index.js';
import { didYouMean } from '../workflow/index.js';
import { findBinary, formatReport, verifyWorkflows } from '../verify/index.js';
import { help, parse, parseAt, type Command } from './commands.js';
import { printDiagnostics, UsageError } from './errors.js';
import { EXIT, readInputs, repositoryRoot, specFiles, workflowFiles } from './io.js';
import { checkInputs } from './workflows.js';
import { repositoryAt, requireCommittedWorkflows } from './head-check.js';

export const verify: Command = {
  summary: 'prove that real OPA sidecars fed by the bundle server enforce exactly the specs',
  help: `Usage: custody verify [FILE...|--workflow NAME] [--server URL] [--at INSTANT|now] [--json]
                      [--public-key FILE --key-id ID] [--tokens DIR] [--wait SECONDS]

For every workflow of workflows/ (or those of the FILEs, or the one named), starts a real OPA sidecar per agent configured as the
generated ones, lets each pull its signed bundle from the bundle server, and asks it about every
(source, destination, method) triple of the access matrix with the source's SPIFFE identity:
through Envoy's ext_authz gRPC call when opa-envoy-plugin is available, else OPA's API. Prints
the compliance table (expected from the spec, actual from the sidecar) and exits 1 on any
mismatch, including a sidecar that did not activate the served revision (e.g. a tampered bundle).

Options:
  --server URL        a running bundle server (default: start the embedded one on this clone)
  --at INSTANT        decide at this RFC 3339 instant (time windows), or now, through OPA's query API
  --workflow NAME     only this workflow (or give its FILE)
  --public-key FILE   the server's verification key (default: the embedded default's key)
  --key-id ID         its key id (default custody-dev)
  --tokens DIR        agent tokens as DIR/<workflow>/<agent>.token (default .custody/dev/tokens)
  --wait SECONDS      how long sidecars may take to activate their bundles (default 20)
  --json              the report as JSON
  -h, --help          this help

Binaries: OPA_ENVOY_BIN or .tools/bin/opa-envoy-plugin, else OPA_BIN or .tools/bin/opa (npm run tools).
Before any sidecar starts, every agent's bundle is fetched once as its sidecar would: a server
that cannot be reached, refuses a token or serves no such bundle stops the run at once (exit 3).
The sidecars carry the label custody-verify: "true", so a server leaves them out of its rollout
view. The specs and bundles of the verified workflows must be committed: the server serves commits.

Exit codes: 0 verified, 1 mismatch or invalid specs, 2 usage error or the verified workflows not
committed, 3 the bundle server unreachable or refusing, or another failure.
`,
  async run(args, io) {
    const { values, positionals } = parse(
      args,
      {
        server: { type: 'string' },
        at: { type: 'string' },
        workflow: { type: 'string' },
        json: { type: 'boolean' },
        'public-key': { type: 'string' },
        'key-id': { type: 'string' },
        tokens: { type: 'string' },
        wait: { type: 'string' },
      },
      true,
    );
    if (values.help) return help(io, this);
    if (positionals.length && values.workflow !== undefined) throw new UsageError('give workflow FILEs or --workflow NAME, not both');
    const root = repositoryRoot(io.cwd);
    const atNs = parseAt(values.at)?.ns;
    const wait = values.wait === undefined ? 20 : Number(values.wait);
    if (!Number.isFinite(wait) || wait <= 0) throw new UsageError(`--wait ${values.wait} is not a number of seconds`);
    const files = positionals.length ? await specFiles(positionals, io.cwd) : await workflowFiles(path.join(root, WORKFLOWS_DIR), io.cwd);
    const checked = checkInputs(await readInputs(files, io.cwd));
    printDiagnostics(
      io.stderr,
      'verify',
      checked.diagnostics.filter((d) => d.severity === 'error'),
    );
    if (checked.errors > 0) return EXIT.invalid;
    const workflows = values.workflow ? checked.workflows.filter((w) => w.name === values.workflow) : checked.workflows;
    if (workflows.length === 0) {
      const guess = didYouMean(
        values.workflow ?? '',
        checked.workflows.map((w) => w.name),
      );
      throw new UsageError(`no workflow "${values.workflow}" in ${WORKFLOWS_DIR}/`, {
        hint: guess ? `did you mean ${guess}?` : `the workflows are: ${checked.workflows.map((w) => w.name).join(', ')}`,
      });
    }
    // The sidecars get what the server serves, a commit: an uncommitted spec or bundle would show as mismatches.
    await requireCommittedWorkflows(io, 'verify', repositoryAt(root), checked.workflows, workflows);

    const envoyBinary = findBinary('opa-envoy-plugin', [process.env.OPA_ENVOY_BIN, path.join(root, '.tools', 'bin', 'opa-envoy-plugin')]);
    const binary = envoyBinary ?? findBinary('opa', [process.env.OPA_BIN, path.join(root, '.tools', 'bin', 'opa')]);
    if (!binary) throw new UsageError('verify runs real OPA: run npm run tools (or set OPA_ENVOY_BIN / OPA_BIN)');

    let embedded: EmbeddedServer | undefined;
    let serverUrl = values.server;
    let keyFile = values['public-key'];
    const keyId = values['key-id'] ?? DEV_KEY_ID;
    let tokensDir = values.tokens ? path.resolve(io.cwd, values.tokens) : devPaths(root).agentTokensDir;
    let served: ((w: string, a: string) => string | undefined) | undefined;
    let publicKeyPem: string;
    try {
      if (!serverUrl) {
        embedded = await startEmbeddedServer(root, { info() {}, error: (m) => io.stderr.write(`server: ${m}\n`) });
        serverUrl = embedded.server.url;
        tokensDir = embedded.dev.agentTokensDir;
        publicKeyPem = embedded.publicKeyPem;
        const catalog = embedded.server.catalog;
        served = (w, a) => catalog.get(w, a)?.revision || undefined;
      } else {
        if (keyFile) publicKeyPem = readFileSync(path.resolve(io.cwd, keyFile), 'utf8');
        else {
          const devKey = devPaths(root).signingKeyFile;
          if (!existsSync(devKey)) throw new UsageError('pass --public-key FILE (and --key-id) for this server');
          publicKeyPem = publicKeyPemOf(devKey);
        }
        served = await servedRevisions(serverUrl, root);
      }
      const reports = await verifyWorkflows({
        workflows,
        serverUrl,
        tokenPath: (w, a) => {
          const f = path.join(tokensDir, w, `${a}.token`);
          return existsSync(f) ? f : undefined;
        },
        keyId,
        // A key OPA cannot verify with fails the sidecars' activation, which the report shows.
        keys: [{ id: keyId, algorithm: algorithmOf(createPublicKey(publicKeyPem)) ?? 'RS256', publicKeyPem }],
        binary,
        envoy: binary === envoyBinary,
        activationTimeoutMs: wait * 1000,
        ...(atNs !== undefined ? { atNs } : {}),
        ...(served ? { servedRevision: served } : {}),
      });
      io.stdout.write(values.json ? `${JSON.stringify(reports, null, 2)}\n` : formatReport(reports));
      return reports.every((r) => r.mismatches === 0) ? EXIT.ok : EXIT.invalid;
    } finally {
      await embedded?.server.close();
    }
  },
};

/** What the server serves per agent, when an admin token is at hand (the embedded default's). */
async function servedRevisions(serverUrl: string, root: string): Promise<((w: string, a: string) => string | undefined) | undefined> {
  const file = devPaths(root).adminTokenFile;
  const token = process.env.CUSTODY_ADMIN_TOKEN ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
  if (!token) return undefined;
  try {
    const r = await fetch(new URL('/api/rollout', serverUrl), { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) return undefined;
    const view = (await r.json()) as RolloutView;
    return (w, a) => view.agents.find((x) => x.workflow === w && x.agent === a)?.served?.revision;
  } catch {
    return undefined;
  }
}
