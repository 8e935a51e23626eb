/**
 * The commands: argument handling and output; the work is done by the core modules.
 * One cohesive file: check, matrix and generate share the argument parser and the help printer
 * defined here, and most of its lines are their help texts.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KEYS_DIR, WORKFLOWS_DIR } from '../contract/index.js';
import { desiredTrees, leftoverFolders, recoverTrees, staleEntries, writeTrees, type Tree } from '../generate/index.js';
import { KeysError } from '../keys/index.js';
import { accessMatrix, formatMatrix, matrixAt, matrixSize, type AccessMatrix, type MatrixCell } from '../policy/index.js';
import { didYouMean, parseInstant, type Workflow } from '../workflow/index.js';
import { CustodyError } from '../core/errors.js';
import { asCustodyError, OperationalError, printDiagnostics, printError, UsageError } from './errors.js';
import { displayPath, EXIT, readInputs, repositoryRoot, specFiles, workflowFiles, type Io } from './io.js';
import { readDeployment } from './deployment.js';
import { checkInputs, plural, type Checked, type DeploymentFacts } from './workflows.js';

export interface Command {
  readonly summary: string;
  readonly help: string;
  run(args: string[], io: Io): Promise<number>;
}

export function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(args: string[], options: T, positionals = false) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals, strict: true });
  } catch (err) {
    throw argumentError(err as Error & { code?: string }, Object.keys(options));
  }
}

/** Node's parser messages, said in one short line, with the nearest option when one was misspelt. */
function argumentError(err: Error & { code?: string }, names: readonly string[]): UsageError {
  const quoted = /'([^']+)'/.exec(err.message)?.[1] ?? '';
  const option = quoted.replace(/ <value>$/, '');
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const typed = option.startsWith('--') ? option.slice(2).split('=')[0]! : undefined;
      // Swapped letters (--prot) are as near as a wrong one, though the edit distance says 2.
      const sorted = (x: string) => [...x].sort().join('');
      const guess = typed === undefined ? undefined : (didYouMean(typed, [...names, 'help']) ?? names.find((n) => sorted(n) === sorted(typed)));
      const listed = names.length ? `the options are ${names.map((n) => `--${n}`).join(', ')}` : 'it takes no option but --help';
      return new UsageError(`unknown option ${option}`, { hint: guess ? `did you mean --${guess}?` : listed });
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new UsageError(/does not take/.test(err.message) ? `${option} takes no value` : `${option} needs a value`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument "${quoted}": this command takes options only`);
    default:
      return new UsageError(err.message.split('\n')[0]!);
  }
}

/** An instant given on the command line: RFC 3339, or `now`. */
export function parseAt(value: string | undefined): { ns: bigint; label: string } | undefined {
  if (value === undefined) return undefined;
  if (value === 'now') {
    const ms = Date.now();
    return { ns: BigInt(ms) * 1_000_000n, label: new Date(ms).toISOString() };
  }
  const parsed = parseInstant(value);
  if ('error' in parsed) throw new UsageError(`--at ${value} ${parsed.error}`, { hint: 'give an RFC 3339 instant such as 2026-11-23T09:00:00Z, or now' });
  return { ns: parsed.ns, label: value };
}

const check: Command = {
  summary: 'validate workflow specs and report what a reviewer should see',
  help: `Usage: custody check [FILE|FOLDER...] [--json]

Validates workflow specs (default: every workflows/*.yaml of the repository; a FOLDER stands for
its *.yaml files) against the
custody.dev/v1alpha1 format and its rules, and reports the analysis warnings (agents the owner's
data cannot reach or that never return it, cycles among contractors, business-intelligence
exposure). Several files are checked together: workflow names must be unique across them.
A spec, or a folder of the repository read for specs or keys (workflows/, keys/), that is a
symbolic link is refused, never followed; a folder outside the repository, named by its own
path, is read as named.

Problems are printed one per line, as every error of custody is:
  custody check: severity[CODE]: FILE:LINE:COL: field: message (hint)
On success only a one-line summary is printed.

Options:
  --json            the result as JSON on stdout: the workflows, every problem (severity, code,
                    file, line, column, field, message, hint) and the counts; nothing on stderr
  -h, --help        this help

Exit codes: 0 no errors (warnings allowed), 1 errors in the specs, 2 usage error.
`,
  async run(args, io) {
    const { values, positionals } = parse(args, { json: { type: 'boolean' } }, true);
    if (values.help) return help(io, this);
    const root = repositoryRoot(io.cwd);
    const files = positionals.length ? await specFiles(positionals, io.cwd) : await workflowFiles(path.join(root, WORKFLOWS_DIR), io.cwd);
    if (files.length === 0) throw new UsageError(`no workflow files (*.yaml) in ${path.join(root, WORKFLOWS_DIR)}`);
    const deployment = await readDeployment(root, path.join(root, KEYS_DIR), io);
    const checked = checkInputs(await readInputs(files, io.cwd), deployment.roots, deployment.jwks, deployment.facts);
    const agents = checked.workflows.reduce((n, w) => n + w.agents.length, 0);
    const flows = checked.workflows.reduce((n, w) => n + w.flows.length, 0);
    if (values.json) {
      const result = {
        ok: checked.errors === 0,
        files: files.map((f) => displayPath(f, io.cwd)),
        workflows: checked.workflows.map((w) => ({ name: w.name, file: w.file, agents: w.agents.length, flows: w.flows.length })),
        errors: checked.errors,
        warnings: checked.warnings,
        diagnostics: checked.diagnostics,
      };
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return checked.errors > 0 ? EXIT.invalid : EXIT.ok;
    }
    printDiagnostics(io.stderr, 'check', checked.diagnostics);
    if (checked.errors > 0) {
      io.stdout.write(`${plural(checked.errors, 'error')}, ${plural(checked.warnings, 'warning')} in ${plural(files.length, 'file')}\n`);
      return EXIT.invalid;
    }
    io.stdout.write(
      `ok: ${plural(checked.workflows.length, 'workflow')}, ${plural(agents, 'agent')}, ${plural(flows, 'flow')}, ${plural(checked.warnings, 'warning')}\n`,
    );
    return EXIT.ok;
  },
};

/** Above this a printed matrix is unreadable and slow to build (10,000 agents: 10^8 triples). */
export const MATRIX_LIMIT = 1_000_000;

const matrix: Command = {
  summary: 'print the access matrix of a workflow',
  help: `Usage: custody matrix FILE | --workflow NAME [--json] [--at INSTANT|now] [--allowed]

Prints every (source agent, destination agent, method) triple of the workflow in FILE (or the
workflow NAME of workflows/), N(N-1)M of them (M: the methods the workflow names, plus GET),
with its decision: allow, deny, or conditional (with the condition in words). An allowed triple
is allowed on its flows' paths only. Attribute conditions are decided from the agents'
attributes in the spec.

Options:
  --workflow NAME   the workflow of workflows/ with this name, instead of a FILE
  --json            the matrix as JSON
  --at INSTANT      resolve time conditions at an RFC 3339 instant (e.g. 2026-11-23T09:00:00Z),
                    or now
  --allowed         only the pairs of agents with some method allowed or conditional
  -h, --help        this help

Exit codes: 0 printed, 1 the spec has errors or its matrix has more than 1,000,000 triples, 2 usage error.
`,
  async run(args, io) {
    const { values, positionals } = parse(
      args,
      { json: { type: 'boolean' }, at: { type: 'string' }, workflow: { type: 'string' }, allowed: { type: 'boolean' } },
      true,
    );
    if (values.help) return help(io, this);
    const at = parseAt(values.at);
    const { workflow, checked } = await oneWorkflow(io, 'matrix', positionals, values.workflow);
    if (checked.errors > 0 || !workflow) return EXIT.invalid;
    const size = matrixSize(workflow);
    if (size > MATRIX_LIMIT) {
      throw new CustodyError(
        'matrix-too-large',
        'invalid',
        `${workflow.name} has ${workflow.agents.length} agents: its matrix would list ${size.toLocaleString('en')} triples, more than the ${MATRIX_LIMIT.toLocaleString('en')} this command prints`,
        {
          hint: 'custody verify checks every triple without printing them; custody check and the pull-request summary describe the flows themselves',
        },
      );
    }
    const full = accessMatrix(workflow);
    const m: AccessMatrix = at === undefined ? full : withCells(full, matrixAt(workflow, full, at.ns));
    if (values.json) {
      const cells = values.allowed ? m.cells.filter((c) => c.decision !== 'deny') : m.cells;
      io.stdout.write(`${JSON.stringify({ ...m, cells, ...(at ? { at: at.label } : {}) }, null, 2)}\n`);
    } else {
      io.stdout.write(formatMatrix(workflow, m, at?.label, { allowedOnly: values.allowed === true }));
    }
    return EXIT.ok;
  },
};

/**
 * The one workflow a command is about: the workflow of FILE, or the one named NAME among
 * workflows/ (its diagnostics printed, the other files' left to custody check).
 */
export async function oneWorkflow(
  io: Io,
  command: string,
  positionals: readonly string[],
  name: string | undefined,
): Promise<{ workflow?: Workflow; checked: Checked }> {
  if (positionals.length > 1) throw new UsageError(`${command} takes one workflow FILE`);
  if (positionals.length === 1 && name !== undefined) throw new UsageError('give a workflow FILE or --workflow NAME, not both');
  if (positionals.length === 0 && name === undefined) throw new UsageError(`${command} takes a workflow FILE or --workflow NAME`);
  if (positionals.length === 1) {
    const checked = checkInputs(await readInputs([path.resolve(io.cwd, positionals[0]!)], io.cwd));
    printDiagnostics(io.stderr, command, checked.diagnostics);
    return { ...(checked.workflows[0] ? { workflow: checked.workflows[0] } : {}), checked };
  }
  const root = repositoryRoot(io.cwd);
  const all = checkInputs(await readInputs(await workflowFiles(path.join(root, WORKFLOWS_DIR), io.cwd), io.cwd));
  const workflow = all.workflows.find((w) => w.name === name);
  if (!workflow) {
    const broken = [...new Set(all.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file))];
    const guess = didYouMean(
      name!,
      all.workflows.map((w) => w.name),
    );
    throw new UsageError(`no valid workflow "${name}" in ${WORKFLOWS_DIR}/`, {
      hint: guess
        ? `did you mean ${guess}?`
        : broken.length
          ? `${broken.join(', ')} ha${broken.length === 1 ? 's' : 've'} errors: run custody check`
          : `the workflows are: ${all.workflows.map((w) => w.name).join(', ') || 'none'}`,
    });
  }
  const mine = all.diagnostics.filter((d) => d.file === workflow.file);
  printDiagnostics(io.stderr, command, mine);
  const errors = mine.filter((d) => d.severity === 'error').length;
  return { workflow, checked: { ...all, diagnostics: mine, errors, warnings: mine.length - errors } };
}

function withCells(m: AccessMatrix, cells: MatrixCell[]): AccessMatrix {
  const counts = { allow: 0, conditional: 0, deny: 0 };
  for (const c of cells) counts[c.decision]++;
  return { ...m, cells, counts };
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
Custody owns these folders: the stale ones are rebuilt whole beside them and swapped in
together, so a failure leaves both as they were. A run first rolls back what a killed run left
(.custody-new-*, .custody-ready-*, .custody-old-* folders): never forward. Nothing is written
if any workflow has errors. The same workflows and keys always give the same bytes.
The workflows and keys folders, inside the repository, must be real folders: a symbolic link
(there, or on the way to them) is refused, never followed; a folder outside the repository is
read as named.

Options:
  --workflows DIR   the workflow specs (default: workflows/ of the repository)
  --keys DIR        the bundle verification keys (default: keys/ of the repository)
  --out DIR         where to write (default: the repository root)
  --check           write nothing; list what is stale (and what a killed run left) and exit 1
                    if anything is
  -h, --help        this help

Exit codes: 0 written (or up to date), 1 spec or key errors or stale trees, 2 usage error,
3 write failure.
`,
  async run(args, io) {
    const { values } = parse(args, { workflows: { type: 'string' }, keys: { type: 'string' }, out: { type: 'string' }, check: { type: 'boolean' } });
    if (values.help) return help(io, this);
    const root = repositoryRoot(io.cwd);
    const dir = values.workflows ? path.resolve(io.cwd, values.workflows) : path.join(root, WORKFLOWS_DIR);
    const keysDir = values.keys ? path.resolve(io.cwd, values.keys) : path.join(root, KEYS_DIR);
    const out = values.out ? path.resolve(io.cwd, values.out) : root;
    const files = await workflowFiles(dir, io.cwd);
    const { facts, roots, jwks, keys } = await readDeployment(root, keysDir, io);
    const checked = checkInputs(await readInputs(files, io.cwd), roots, jwks, facts);
    printDiagnostics(io.stderr, 'generate', checked.diagnostics);
    if (checked.errors > 0) {
      io.stdout.write(`${plural(checked.errors, 'error')}: nothing written\n`);
      return EXIT.invalid;
    }
    if (keys instanceof Error) {
      if (!(keys instanceof KeysError)) throw new OperationalError(`cannot read ${keysDir}: ${keys.message}`);
      printError(io.stderr, 'generate', asCustodyError(keys)!);
      io.stdout.write('1 error: nothing written\n');
      return EXIT.invalid;
    }
    const trees = desiredTrees(checked.workflows, keys, facts.repository);
    const total = trees.reduce((n, t) => n + t.files.size, 0);
    const upToDate = `up to date: ${plural(total, 'file')} from ${plural(checked.workflows.length, 'workflow')}\n`;
    if (values.check) {
      // What an interrupted run left is reported, not removed: --check writes nothing, and the
      // next writing run undoes it (a ready folder would otherwise hide behind "up to date").
      const leftovers = await leftoverFolders(out);
      for (const name of leftovers) io.stdout.write(`stale: ${name}/ (left by an interrupted generate)\n`);
      let staleCount = 0;
      for (const tree of trees) {
        const stale = await staleEntries(out, tree);
        staleCount += stale.length;
        for (const s of stale) io.stdout.write(`stale: ${s.path} (${s.kind})\n`);
      }
      if (staleCount + leftovers.length === 0) {
        io.stdout.write(upToDate);
        return EXIT.ok;
      }
      const what = [staleCount ? plural(staleCount, 'stale file') : '', leftovers.length ? plural(leftovers.length, 'leftover folder') : ''];
      io.stdout.write(`${what.filter(Boolean).join(' and ')}: run custody generate${staleCount ? ' and commit the result' : ''}\n`);
      return EXIT.invalid;
    }
    // First undo what an interrupted run left (rolled back, never completed), then compare.
    let recovered: string[];
    try {
      recovered = await recoverTrees(out);
    } catch (err) {
      throw new OperationalError(`cannot undo an interrupted generate in ${out}: ${(err as Error).message}`);
    }
    if (recovered.length) io.stdout.write(`undid an interrupted generate: removed ${recovered.map((n) => `${n}/`).join(', ')}\n`);
    const changed: { tree: Tree; stale: number }[] = [];
    for (const tree of trees) {
      const stale = (await staleEntries(out, tree)).length;
      if (stale) changed.push({ tree, stale });
    }
    if (changed.length === 0) {
      io.stdout.write(upToDate);
      return EXIT.ok;
    }
    // The stale trees in one swap: a failure or a kill cannot leave one of them new, one old.
    try {
      await writeTrees(
        out,
        changed.map((c) => c.tree),
      );
    } catch (err) {
      const where = changed.map((c) => path.join(out, c.tree.root)).join(', ');
      throw new OperationalError(`cannot write ${where}: ${(err as Error).message}; the previous tree${changed.length > 1 ? 's are' : ' is'} unchanged`);
    }
    for (const { tree, stale } of changed) io.stdout.write(`wrote ${tree.root}/: ${plural(tree.files.size, 'file')}, ${stale} changed\n`);
    return EXIT.ok;
  },
};

export function help(io: Io, command: Command): number {
  io.stdout.write(command.help);
  return EXIT.ok;
}

export const COMMANDS: Readonly<Record<string, Command>> = { check, matrix, generate };
