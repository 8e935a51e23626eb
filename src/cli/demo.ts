/** `custody demo`: the whole loop on this machine (src/verify/demo.ts), printed as it goes. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { formatRollout } from '../server/index.js';
import { findBinary, runDemo, type DemoResult, type DemoStep } from '../verify/index.js';
import { help, oneWorkflow, parse, type Command } from './commands.js';
import { UsageError } from './errors.js';
import { repositoryAt, requireCommittedWorkflows } from './head-check.js';
import { EXIT, repositoryRoot } from './io.js';

const DEFAULT_WORKFLOW = 'movie-post-production';

/** Where a newcomer goes from here: the spec that was just enforced, what it became, and their own. */
const nextSteps = (spec: string) => `
Now write your own:
  workflows/        the specs; the one just enforced is ${spec}.
                    Copy it to workflows/<your-workflow>.yaml and change the actors, agents and flows.
  custody check     says what is wrong, with file, line and field
  custody matrix --workflow <your-workflow> --allowed
                    who may call whom
  custody generate  writes bundles/ (each agent's policy) and generated/ (each cluster's
                    Kubernetes tree: generated/clusters/<cluster>/)
  custody commit    commits them with the spec: the bundle server serves commits only
  custody demo --workflow <your-workflow>, then custody verify --workflow <your-workflow>
`;

function opaBinary(root: string): string {
  const found = findBinary('opa', [process.env.OPA_BIN, path.join(root, '.tools', 'bin', 'opa')]);
  if (!found) throw new UsageError('the demo runs the real opa binary: run npm run tools (or set OPA_BIN)');
  return found;
}

export const demo: Command = {
  summary: 'run the bundle server and a real OPA sidecar per agent locally, and show the rollout',
  help: `Usage: custody demo [FILE | --workflow NAME] [--keep]

Starts the embedded bundle server on this clone (development key and tokens under .custody/dev/),
starts one real OPA process per agent of the workflow (default movie-post-production), each
configured as a generated sidecar is (signed bundle required, long polling, status and decision
logs), waits until every sidecar enforces the served revision, sends a few requests, prints the
rollout view, and stops everything. Needs the opa binary (npm run tools builds it, or OPA_BIN).
The workflow's spec and bundles must be committed: the bundle server serves commits.

Options:
  --workflow NAME   the workflow of workflows/ with this name (default movie-post-production),
                    or give its FILE
  --keep            keep the server and the sidecars running until Ctrl-C, to look at the
                    rollout page (the URL is printed; the page asks for the admin token in
                    .custody/dev/admin.token)
  -h, --help        this help

Exit codes: 0 every sidecar enforced the served revision, 1 the spec has errors or a sidecar did
not report in time, 2 usage error or the workflow not committed, 3 failure.
`,
  async run(args, io) {
    const { values, positionals } = parse(args, { workflow: { type: 'string' }, keep: { type: 'boolean' } }, true);
    if (values.help) return help(io, this);
    const root = repositoryRoot(io.cwd);
    if (!existsSync(path.join(root, '.git'))) throw new UsageError('run the demo inside a clone of the repository');
    const { workflow, checked } = await oneWorkflow(io, 'demo', positionals, positionals.length ? values.workflow : (values.workflow ?? DEFAULT_WORKFLOW));
    if (!workflow || checked.errors > 0) return EXIT.invalid;
    await requireCommittedWorkflows(io, 'demo', repositoryAt(root), checked.workflows, [workflow]);
    const opa = opaBinary(root);

    const result = await runDemo({
      repository: root,
      workflow,
      binary: opa,
      logger: { info() {}, error: (m) => io.stderr.write(`server: ${m}\n`) },
      progress: (step) => io.stdout.write(stepText(step, workflow.name, opa)),
      ...(values.keep
        ? {
            keep: async (r, page) => {
              report(r);
              io.stdout.write(
                `\nrollout page: ${page.url} (open it in a browser and paste the admin token from ${path.relative(root, page.adminTokenFile)})\nthe server and the sidecars keep running: Ctrl-C stops them\n`,
              );
              await interrupted();
            },
          }
        : {}),
    });
    if (!values.keep) {
      report(result);
      io.stdout.write(
        "\nthe rollout page and custody status: custody demo --keep keeps the server and the sidecars running and prints the page's URL (custody serve alone starts no sidecar)\n",
      );
      if (result.inSync) io.stdout.write(nextSteps(workflow.file));
    }
    return result.inSync ? EXIT.ok : EXIT.invalid;

    function report(r: DemoResult): void {
      io.stdout.write(`\n${formatRollout(r.view)}`);
      io.stdout.write(r.inSync ? `\nevery sidecar of ${workflow!.name} enforces the served revision\n` : '\nnot every sidecar reported in time\n');
    }
  },
};

/** Resolves on the first Ctrl-C (or SIGTERM); the demo then stops its sidecars and server as usual. */
function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

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
    case 'outside-window':
      return `  ${step.from} -> ${step.to}  ${step.method} ${step.path} at ${step.at}: ${step.allowed ? 'allowed' : 'denied'} by ${step.to}'s sidecar (the flow is open ${step.window})\n`;
  }
}
