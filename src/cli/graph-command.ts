/** `custody graph`: a workflow as a picture, and the committed pictures of the documentation. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { GRAPH_FORMATS, pictures, renderGraph, type GraphFormat } from '../graph/index.js';
import { parseInstant } from '../workflow/index.js';
import { help, parse, type Command } from './commands.js';
import { OperationalError, printDiagnostics, UsageError } from './errors.js';
import { EXIT, readInputs, repositoryRoot, workflowFiles, type Io } from './io.js';
import { checkInputs, plural } from './workflows.js';

/** Where the documentation's pictures live, relative to the repository root. */
export const PICTURES_DIR = 'docs/pictures';

const EXTENSIONS: Readonly<Record<string, GraphFormat>> = { '.mmd': 'mermaid', '.mermaid': 'mermaid', '.dot': 'dot', '.gv': 'dot', '.svg': 'svg' };

export const graph: Command = {
  summary: 'draw a workflow: organisations, agents, flows and warnings (Mermaid, DOT or SVG)',
  help: `Usage: custody graph FILE [--format mermaid|dot|svg] [--at INSTANT] [--output FILE]
       custody graph --pictures [--check]

Draws the workflow in FILE: one box per organisation (actor) holding its agents, titled with
its cluster (organisations sharing a cluster inside one box for it, marked), the owner marked
with a star, and one arrow per flow labelled with its methods and path. Conditions are shown
compactly: a clock for time windows (the workflow's local time), a diamond badge for attribute
tests, an arrow to a bar for the end of the validity period. Solid arrows always hold, dashed
ones depend on time, dotted grey ones never hold for their source. The reviewer's warnings
(unreachable agents, data that never returns, cycles among contractors, business-intelligence
exposure, shared clusters) are drawn in orange. The same spec always gives the same bytes.

Options:
  --format F        mermaid (default; what GitHub renders in Markdown), dot (Graphviz), or
                    svg (laid out by Graphviz, no browser needed); default from --output's
                    extension (.mmd, .dot, .svg) when given
  --at INSTANT      grey out the flows closed at an RFC 3339 instant (e.g. 2026-11-23T09:00:00Z)
  --output FILE     write to FILE instead of standard output
  --pictures        write ${PICTURES_DIR}/<workflow>.svg for every workflows/*.yaml
  --check           with --pictures: write nothing; list stale pictures and exit 1 if any
  -h, --help        this help

Exit codes: 0 drawn (or up to date), 1 the spec has errors or pictures are stale, 2 usage error,
3 write failure.
`,
  async run(args, io) {
    const { values, positionals } = parse(
      args,
      { format: { type: 'string' }, at: { type: 'string' }, output: { type: 'string' }, pictures: { type: 'boolean' }, check: { type: 'boolean' } },
      true,
    );
    if (values.help) return help(io, this);
    if (values.pictures) {
      if (positionals.length || values.format || values.at || values.output) throw new UsageError('--pictures takes no FILE, --format, --at or --output');
      return writePictures(io, values.check === true);
    }
    if (values.check) throw new UsageError('--check goes with --pictures');
    if (positionals.length !== 1) throw new UsageError('graph takes exactly one workflow FILE');
    const format = formatOf(values.format, values.output);
    let at: { text: string; ns: bigint } | undefined;
    if (values.at !== undefined) {
      const parsed = parseInstant(values.at);
      if ('error' in parsed) throw new UsageError(`--at ${values.at} ${parsed.error}`);
      at = { text: values.at, ns: parsed.ns };
    }
    const checked = checkInputs(await readInputs([path.resolve(io.cwd, positionals[0]!)], io.cwd));
    printDiagnostics(io.stderr, 'graph', checked.diagnostics);
    const workflow = checked.workflows[0];
    if (checked.errors > 0 || !workflow) return EXIT.invalid;
    const text = await renderGraph(workflow, format, at ? { at } : {});
    if (values.output === undefined) io.stdout.write(text);
    else await write(path.resolve(io.cwd, values.output), text);
    return EXIT.ok;
  },
};

function formatOf(given: string | undefined, output: string | undefined): GraphFormat {
  if (given !== undefined) {
    if (!(GRAPH_FORMATS as readonly string[]).includes(given)) throw new UsageError(`--format ${given}: expected one of ${GRAPH_FORMATS.join(', ')}`);
    return given as GraphFormat;
  }
  return (output && EXTENSIONS[path.extname(output).toLowerCase()]) || 'mermaid';
}

async function writePictures(io: Io, check: boolean): Promise<number> {
  const root = repositoryRoot(io.cwd);
  const checked = checkInputs(await readInputs(await workflowFiles(path.join(root, 'workflows'), io.cwd), io.cwd));
  printDiagnostics(io.stderr, 'graph', checked.diagnostics);
  if (checked.errors > 0) {
    io.stdout.write(`${plural(checked.errors, 'error')}: nothing written\n`);
    return EXIT.invalid;
  }
  const dir = path.join(root, PICTURES_DIR);
  const wanted = await pictures(checked.workflows);
  const present: string[] = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? [] : Promise.reject(err)));
  const stale: string[] = [];
  for (const [name, svg] of wanted) {
    const current = await fs.readFile(path.join(dir, name), 'utf8').catch(() => undefined);
    if (current !== svg) stale.push(name);
  }
  // A picture of a workflow that no longer exists would mislead a reader.
  const orphans = present.filter((n) => n.endsWith('.svg') && !wanted.has(n)).sort();
  for (const name of [...stale, ...orphans]) {
    const rel = `${PICTURES_DIR}/${name}`;
    if (check) io.stdout.write(`stale: ${rel} (${!wanted.has(name) ? 'no such workflow' : present.includes(name) ? 'changed' : 'missing'})\n`);
    else if (wanted.has(name)) await write(path.join(dir, name), wanted.get(name)!);
    else await fs.rm(path.join(dir, name)).catch((err: Error) => Promise.reject(new OperationalError(`cannot remove ${rel}: ${err.message}`)));
  }
  const changed = stale.length + orphans.length;
  if (check && changed > 0) {
    io.stdout.write(`${plural(changed, 'stale picture')}: run custody graph --pictures and commit the result\n`);
    return EXIT.invalid;
  }
  io.stdout.write(
    check || changed === 0
      ? `up to date: ${plural(wanted.size, 'picture')} in ${PICTURES_DIR}/\n`
      : `wrote ${PICTURES_DIR}/: ${plural(changed, 'picture')} changed\n`,
  );
  return EXIT.ok;
}

async function write(file: string, text: string): Promise<void> {
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
  } catch (err) {
    throw new OperationalError(`cannot write ${file}: ${(err as Error).message}`);
  }
}
