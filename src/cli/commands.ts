/** The commands: argument handling and output; the work is done by the core modules. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { desiredTrees, KeysError, readKeys, rootClusters, staleEntries, writeTree, type KeySet } from '../generate/index.js';
import { accessMatrix, matrixAt, type AccessMatrix, type MatrixCell } from '../policy/index.js';
import { parseInstant, type Workflow } from '../workflow/index.js';
import { displayPath, EXIT, OperationalError, readInputs, repositoryRoot, UsageError, workflowFiles, type Io } from './io.js';
import { checkInputs, plural, printDiagnostics } from './workflows.js';

export interface Command {
  readonly summary: string;
  readonly help: string;
  run(args: string[], io: Io): Promise<number>;
}

export function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(args: string[], options: T, positionals = false) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const check: Command = {
  summary: 'validate workflow specs and report what a reviewer should see',
  help: `Usage: custody check [FILES...]

Validates workflow specs (default: every workflows/*.yaml of the repository) against the
custody.dev/v1alpha1 format and its rules, and reports the analysis warnings (agents the owner's
data cannot reach or that never return it, cycles among contractors, business-intelligence
exposure). Several files are checked together: workflow names must be unique across them.

Problems are printed one per line as FILE:LINE:COL: severity[CODE]: field: message (hint).
On success only a one-line summary is printed.

Exit codes: 0 no errors (warnings allowed), 1 errors in the specs, 2 usage error.
`,
  async run(args, io) {
    const { values, positionals } = parse(args, {}, true);
    if (values.help) return help(io, this);
    const root = repositoryRoot(io.cwd);
    const files = positionals.length ? positionals.map((f) => path.resolve(io.cwd, f)) : await workflowFiles(path.join(root, 'workflows'));
    if (files.length === 0) throw new UsageError(`no workflow files (*.yaml) in ${path.join(root, 'workflows')}`);
    const checked = checkInputs(await readInputs(files, io.cwd), await rootClusters(path.join(root, 'keys')));
    printDiagnostics(checked.diagnostics, io.stderr);
    const agents = checked.workflows.reduce((n, w) => n + w.agents.length, 0);
    const flows = checked.workflows.reduce((n, w) => n + w.flows.length, 0);
    if (checked.errors > 0) {
      io.stdout.write(`${plural(checked.errors, 'error')}, ${plural(checked.warnings, 'warning')} in ${plural(files.length, 'file')}\n`);
      return EXIT.invalid;
    }
    io.stdout.write(`ok: ${plural(checked.workflows.length, 'workflow')}, ${plural(agents, 'agent')}, ${plural(flows, 'flow')}, ${plural(checked.warnings, 'warning')}\n`);
    return EXIT.ok;
  },
};

const matrix: Command = {
  summary: 'print the access matrix of a workflow',
  help: `Usage: custody matrix FILE [--json] [--at INSTANT]

Prints every (source agent, destination agent, method) triple of the workflow in FILE, N(N-1)M
of them (M: the methods the workflow names, plus GET), with its decision: allow, deny, or
conditional (with the condition in words). An allowed triple is allowed on its flows' paths
only. Attribute conditions are decided from the agents' attributes in the spec.

Options:
  --json            the matrix as JSON
  --at INSTANT      resolve time conditions at an RFC 3339 instant (e.g. 2026-11-23T09:00:00Z)
  -h, --help        this help

Exit codes: 0 printed, 1 the spec has errors, 2 usage error.
`,
  async run(args, io) {
    const { values, positionals } = parse(args, { json: { type: 'boolean' }, at: { type: 'string' } }, true);
    if (values.help) return help(io, this);
    if (positionals.length !== 1) throw new UsageError('matrix takes exactly one workflow FILE');
    let atNs: bigint | undefined;
    if (values.at !== undefined) {
      const parsed = parseInstant(values.at);
      if ('error' in parsed) throw new UsageError(`--at ${values.at} ${parsed.error}`);
      atNs = parsed.ns;
    }
    const checked = checkInputs(await readInputs([path.resolve(io.cwd, positionals[0]!)], io.cwd));
    printDiagnostics(checked.diagnostics, io.stderr);
    const workflow = checked.workflows[0];
    if (checked.errors > 0 || !workflow) return EXIT.invalid;
    const full = accessMatrix(workflow);
    const m: AccessMatrix = atNs === undefined ? full : withCells(full, matrixAt(workflow, full, atNs));
    io.stdout.write(values.json ? `${JSON.stringify({ ...m, ...(values.at ? { at: values.at } : {}) }, null, 2)}\n` : formatMatrix(workflow, m, values.at));
    return EXIT.ok;
  },
};

function withCells(m: AccessMatrix, cells: MatrixCell[]): AccessMatrix {
  const counts = { allow: 0, conditional: 0, deny: 0 };
  for (const c of cells) counts[c.decision]++;
  return { ...m, cells, counts };
}

export function formatMatrix(workflow: Workflow, m: AccessMatrix, at?: string): string {
  const n = m.agents.length;
  const lines: string[] = [];
  lines.push(
    `${m.workflow}: ${n} agents × ${n - 1} peers × ${m.methods.length} methods (${m.methods.join(', ')}) = ${m.cells.length} triples` +
      `${at ? ` at ${at}` : ''}: ${m.counts.allow} allow, ${m.counts.conditional} conditional, ${m.counts.deny} deny`,
  );
  lines.push('');
  const rows: string[][] = [['FROM', 'TO', ...m.methods, 'ALLOWED']];
  for (const from of m.agents) {
    for (const to of m.agents) {
      if (from === to) continue;
      const cells = m.methods.map((method) => m.cells.find((c) => c.from === from && c.to === to && c.method === method)!);
      const allowed = cells.flatMap((c) => c.rules.map((r) => `${c.method} ${r.path}${r.condition ? `: ${r.condition}` : ''}${r.written ? ` [as written: ${r.written}]` : ''}`));
      rows.push([from, to, ...cells.map((c) => (c.decision === 'conditional' ? 'cond' : c.decision)), allowed.join('; ')]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) lines.push(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
  lines.push('');
  const domains = [...new Set(workflow.actors.map((a) => a.cluster.trustDomain))].sort();
  lines.push(`Everything else is denied: other methods, other paths, and callers without an agent's exact mesh identity, spiffe://<trust domain of its cluster>/ns/${workflow.name}/sa/<agent> (trust domains: ${domains.join(', ')}).`);
  return `${lines.join('\n')}\n`;
}

const generate: Command = {
  summary: 'write the policy bundles (bundles/) and the per-cluster manifests (generated/)',
  help: `Usage: custody generate [--workflows DIR] [--keys DIR] [--out DIR] [--check]

Checks every workflow in DIR and writes, under the output folder:
  bundles/<workflow>/<agent>/   .manifest, policy.rego, data.json: the OPA bundle the agent's
                                sidecar enforces (a valid bundle directory: opa build -b DIR);
                                the bundle server adds the Git revision and the signature.
  generated/clusters/<cluster>/ everything the cluster runs, one kustomization per workflow
                                (namespace, mTLS, authorization, egress limits, network policies,
                                each agent with its OPA sidecar and encrypted volume) and, in the
                                owner's cluster, custody-system (the bundle server).
  generated/argocd/<cluster>/   AppProjects and Applications for Argo CD.
  generated/flux/<cluster>/     GitRepository and Kustomization for Flux.
Every sidecar verifies its bundle with the public keys in keys/ (<key-id>.pem; the active one is
the first by name unless keys/active names another); without any key nothing is written.
Custody owns these folders: each is replaced whole, in one rename, so a failure leaves the
previous tree as it was. Nothing is written if any workflow has errors. The same workflows
and keys always give the same bytes.

Options:
  --workflows DIR   the workflow specs (default: workflows/ of the repository)
  --keys DIR        the bundle verification keys (default: keys/ of the repository)
  --out DIR         where to write (default: the repository root)
  --check           write nothing; list what is stale and exit 1 if anything is
  -h, --help        this help

Exit codes: 0 written (or up to date), 1 spec or key errors or stale trees, 2 usage error,
3 write failure.
`,
  async run(args, io) {
    const { values } = parse(args, { workflows: { type: 'string' }, keys: { type: 'string' }, out: { type: 'string' }, check: { type: 'boolean' } });
    if (values.help) return help(io, this);
    const root = repositoryRoot(io.cwd);
    const dir = values.workflows ? path.resolve(io.cwd, values.workflows) : path.join(root, 'workflows');
    const keysDir = values.keys ? path.resolve(io.cwd, values.keys) : path.join(root, 'keys');
    const out = values.out ? path.resolve(io.cwd, values.out) : root;
    const files = await workflowFiles(dir);
    const checked = checkInputs(await readInputs(files, io.cwd), await rootClusters(keysDir));
    printDiagnostics(checked.diagnostics, io.stderr);
    if (checked.errors > 0) {
      io.stdout.write(`${plural(checked.errors, 'error')}: nothing written\n`);
      return EXIT.invalid;
    }
    let keys: KeySet;
    try {
      keys = await readKeys(keysDir, displayPath(keysDir, io.cwd));
    } catch (err) {
      if (!(err instanceof KeysError)) throw new OperationalError(`cannot read ${keysDir}: ${(err as Error).message}`);
      io.stderr.write(`custody generate: ${err.message}\n`);
      io.stdout.write('1 error: nothing written\n');
      return EXIT.invalid;
    }
    const trees = desiredTrees(checked.workflows, keys);
    let staleCount = 0;
    for (const tree of trees) {
      const stale = await staleEntries(out, tree);
      staleCount += stale.length;
      if (values.check) {
        for (const s of stale) io.stdout.write(`stale: ${s.path} (${s.kind})\n`);
        continue;
      }
      if (stale.length === 0) continue;
      try {
        await writeTree(out, tree);
      } catch (err) {
        throw new OperationalError(`cannot write ${path.join(out, tree.root)}: ${(err as Error).message}; the previous tree is unchanged`);
      }
      io.stdout.write(`wrote ${tree.root}/: ${plural(tree.files.size, 'file')}, ${stale.length} changed\n`);
    }
    const total = trees.reduce((n, t) => n + t.files.size, 0);
    if (values.check) {
      if (staleCount > 0) {
        io.stdout.write(`${plural(staleCount, 'stale file')}: run custody generate and commit the result\n`);
        return EXIT.invalid;
      }
      io.stdout.write(`up to date: ${plural(total, 'file')} from ${plural(checked.workflows.length, 'workflow')}\n`);
    } else if (staleCount === 0) {
      io.stdout.write(`up to date: ${plural(total, 'file')} from ${plural(checked.workflows.length, 'workflow')}\n`);
    }
    return EXIT.ok;
  },
};

export function help(io: Io, command: Command): number {
  io.stdout.write(command.help);
  return EXIT.ok;
}

export const COMMANDS: Readonly<Record<string, Command>> = { check, matrix, generate };
