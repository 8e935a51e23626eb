/** `custody demo`: the whole loop on this machine (src/verify/demo.ts), printed as it goes. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { WORKFLOWS_DIR } from '../contract/index.js';
import { formatRollout } from '../server/index.js';
import { findBinary, runDemo, type DemoStep } from '../verify/index.js';
import { help, parse, type Command } from './commands.js';
import { UsageError } from './errors.js';
import { EXIT, readInputs, repositoryRoot, workflowFiles } from './io.js';
import { checkInputs } from './workflows.js';
import { repositoryAt, requireCommittedWorkflows } from './head-check.js';

function opaBinary(root: string): string {
  const found = findBinary('opa', [process.env.OPA_BIN, path.join(root, '.tools', 'bin', 'opa')]);
  if (!found) throw new UsageError('the demo runs the real opa binary: run npm run tools (or set OPA_BIN)');
  return found;
}

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
    const checked = checkInputs(await readInputs(await workflowFiles(path.join(root, WORKFLOWS_DIR)), io.cwd));
    const name = values.workflow ?? 'movie-post-production';
    const workflow = checked.workflows.find((w) => w.name === name);
    if (!workflow) throw new UsageError(`no valid workflow "${name}" in workflows/ (run custody check)`);
    await requireCommittedWorkflows(io, 'demo', repositoryAt(root), checked.workflows, [workflow]);
    const opa = opaBinary(root);

    const result = await runDemo({
      repository: root, workflow, binary: opa,
      logger: { info() {}, error: (m) => io.stderr.write(`server: ${m}\n`) },
      progress: (step) => io.stdout.write(stepText(step, workflow.name, opa)),
    });
    io.stdout.write(`\n${formatRollout(result.view)}`);
    io.stdout.write(result.inSync ? `\nevery sidecar of ${workflow.name} enforces the served revision; the same view: custody serve, then custody status\n` : '\nnot every sidecar reported in time\n');
    return result.inSync ? EXIT.ok : EXIT.invalid;
  },
};

function stepText(step: DemoStep, workflow: string, opa: string): string {
  switch (step.kind) {
    case 'serving':
      return `bundle server on ${step.url}, serving ${step.bundles} signed bundles of this clone at ${step.commit}\n`;
    case 'sidecars':
      return `started ${step.count} OPA sidecars (${path.basename(opa)}), one per agent of ${workflow}\n`;
    case 'requests':
      return '\n';
    case 'request':
      return `  ${step.from} -> ${step.to}  ${step.method} ${step.path}: ${step.allowed ? 'allowed' : 'denied'} by ${step.to}'s sidecar\n`;
  }
}
