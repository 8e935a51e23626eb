/**
 * `custody demo`: the whole loop on this machine, with nothing prepared by hand. The embedded
 * bundle server serves this clone's bundles; one real OPA process per agent of a workflow,
 * configured as the generated sidecars are, pulls and verifies its signed bundle and reports
 * back; a few requests show the policy at work; then the rollout view is printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { accessMatrix, matrixAt, opaSidecarConfig, probePath } from '../policy/index.js';
import { DEV_KEY_ID, ensureDevState, formatRollout, loadConfig, rolloutView, startServer } from '../server/index.js';
import { findBinary, freePort } from '../verify/index.js';
import { help, parse, type Command } from './commands.js';
import { UsageError } from './errors.js';
import { EXIT, readInputs, repositoryRoot, workflowFiles } from './io.js';
import { checkInputs } from './workflows.js';

function opaBinary(root: string): string {
  const found = findBinary('opa', [process.env.OPA_BIN, path.join(root, '.tools', 'bin', 'opa')]);
  if (!found) throw new UsageError('the demo runs the real opa binary: run npm run tools (or set OPA_BIN)');
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const demo: Command = {
  summary: 'run the bundle server and a real OPA sidecar per agent locally, and show the rollout',
  help: `Usage: custody demo [--workflow NAME]

Starts the embedded bundle server on this clone (development key and tokens under .custody/dev/),
starts one real OPA process per agent of the workflow (default movie-post-production), each
configured as a generated sidecar is (signed bundle required, long polling, status and decision
logs), waits until every sidecar enforces the served revision, sends a few requests, prints the
rollout view, and stops everything. Needs the opa binary (npm run tools builds it).
`,
  async run(args, io) {
    const { values } = parse(args, { workflow: { type: 'string' } });
    if (values.help) return help(io, this);
    const root = repositoryRoot(io.cwd);
    if (!existsSync(path.join(root, '.git'))) throw new UsageError('run the demo inside a clone of the repository');
    const opa = opaBinary(root);
    const checked = checkInputs(await readInputs(await workflowFiles(path.join(root, 'workflows')), io.cwd));
    const name = values.workflow ?? 'movie-post-production';
    const workflow = checked.workflows.find((w) => w.name === name);
    if (!workflow) throw new UsageError(`no valid workflow "${name}" in workflows/ (run custody check)`);

    const dev = ensureDevState(root);
    const config = loadConfig({ env: {}, cwd: root, overrides: { repository: root, port: 0, signingKeys: [{ id: DEV_KEY_ID, file: dev.signingKeyFile }], tokensFile: dev.tokensFile } });
    const server = await startServer(config, { logger: { info() {}, error: (m) => io.stderr.write(`server: ${m}\n`) } });
    const publicKeyPem = createPublicKey(createPrivateKey(readFileSync(dev.signingKeyFile))).export({ type: 'spki', format: 'pem' }).toString();
    const work = mkdtempSync(path.join(tmpdir(), 'custody-demo-'));
    const sidecars: { agent: string; url: string; child: ChildProcess }[] = [];
    try {
      io.stdout.write(`bundle server on ${server.url}, serving ${server.catalog.all().length} signed bundles of this clone at ${server.catalog.status().head?.commit.slice(0, 12)}\n`);
      for (const agent of workflow.agents) {
        const tokenPath = dev.agentTokenFiles.get(`${workflow.name}/${agent.name}`);
        if (!tokenPath) throw new UsageError(`no bundle for ${workflow.name}/${agent.name}: run custody generate and commit`);
        const configFile = path.join(work, `${agent.name}.json`);
        writeFileSync(configFile, JSON.stringify(opaSidecarConfig({
          bundleServerUrl: server.url, workflow: workflow.name, agent: agent.name, actor: agent.actor,
          keyId: DEV_KEY_ID, keys: [{ id: DEV_KEY_ID, algorithm: 'RS256', publicKeyPem }], tokenPath,
          longPollSeconds: 30, decisionLogDelaySeconds: 1, fallbackPollSeconds: [1, 2], envoyPlugin: false,
        })));
        const port = await freePort();
        const child = spawn(opa, ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', configFile, '--log-level', 'error'], { stdio: 'ignore' });
        sidecars.push({ agent: agent.name, url: `http://127.0.0.1:${port}`, child });
      }
      io.stdout.write(`started ${sidecars.length} OPA sidecars (${path.basename(opa)}), one per agent of ${workflow.name}\n`);
      const inSync = () => rolloutView(server.catalog, server.observations, { repository: root, branch: undefined }).agents.filter((a) => a.workflow === workflow.name);
      const deadline = Date.now() + 30_000;
      while (!inSync().every((a) => a.inSync) && Date.now() < deadline) await sleep(100);

      // A few requests through the sidecars, as the mesh would send them (Envoy's ext_authz input).
      const now = BigInt(Date.now()) * 1_000_000n;
      const cells = matrixAt(workflow, accessMatrix(workflow), now);
      const allowed = cells.find((c) => c.decision === 'allow' && c.method !== 'GET');
      const examples = allowed
        ? [
            { from: allowed.from, to: allowed.to, method: allowed.method, path: probePath(allowed.rules[0]!.path) },
            { from: allowed.to, to: allowed.from, method: 'GET', path: '/' },
            { from: allowed.from, to: allowed.to, method: 'DELETE', path: probePath(allowed.rules[0]!.path) },
          ]
        : [];
      io.stdout.write('\n');
      let deniedCount = 0;
      for (const e of examples) {
        const sidecar = sidecars.find((s) => s.agent === e.to)!;
        const principal = workflow.agents.find((a) => a.name === e.from)!.principal;
        const input = { attributes: { source: { principal }, request: { http: { method: e.method, path: e.path } } } };
        const r = await fetch(`${sidecar.url}/v1/data/custody/authz/allow`, { method: 'POST', body: JSON.stringify({ input }) }).then((x) => x.json() as Promise<{ result?: boolean }>, () => ({ result: undefined }));
        if (r.result !== true) deniedCount++;
        io.stdout.write(`  ${e.from} -> ${e.to}  ${e.method} ${e.path}: ${r.result === true ? 'allowed' : 'denied'} by ${e.to}'s sidecar\n`);
      }
      const denialsDeadline = Date.now() + 5_000;
      // Decision logs are uploaded every second or so: wait until the denials have arrived.
      while (inSync().reduce((n, a) => n + a.recentDenials.length, 0) < deniedCount && Date.now() < denialsDeadline) await sleep(100);
      const view = rolloutView(server.catalog, server.observations, { repository: path.basename(root), branch: undefined });
      io.stdout.write(`\n${formatRollout({ ...view, agents: view.agents.filter((a) => a.workflow === workflow.name) })}`);
      const ok = inSync().every((a) => a.inSync);
      io.stdout.write(ok ? `\nevery sidecar of ${workflow.name} enforces the served revision; the same view: custody serve, then custody status\n` : '\nnot every sidecar reported in time\n');
      return ok ? EXIT.ok : EXIT.invalid;
    } finally {
      for (const s of sidecars) s.child.kill('SIGTERM');
      await Promise.all(sidecars.map((s) => (s.child.exitCode !== null ? undefined : new Promise((r) => s.child.once('exit', r)))));
      await server.close();
      rmSync(work, { recursive: true, force: true });
    }
  },
};
