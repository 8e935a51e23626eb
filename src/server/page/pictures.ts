/**
 * What the rollout page draws, per served revision: each workflow's agents with their organisation
 * and cluster (read from the specs at that commit), and the workflow as SVG (Graphviz in
 * WebAssembly, as `custody graph` draws it), rendered once per commit and kept.
 */
import { WORKFLOWS_DIR, isWorkflowFile } from '../../contract/index.js';
import { cmp } from '../../core/order.js';
import { dotToSvg, toDot, workflowGraph } from '../../graph/index.js';
import { loadWorkflows, MAX_SPEC_BYTES, type Workflow } from '../../workflow/index.js';

/** Past this many agents a picture is no longer read: the page lists them instead. */
export const MAX_DRAWN_AGENTS = 150;

export interface PageAgent {
  readonly name: string;
  readonly organisation: string;
  readonly cluster: string;
  /** The agent's node in `svg` (the `<title>` Graphviz gives it). */
  readonly node: string;
}

export interface PageWorkflow {
  readonly name: string;
  readonly owner: string;
  readonly agents: readonly PageAgent[];
  /** Absent when the workflow has more than `MAX_DRAWN_AGENTS` agents. */
  readonly svg?: string;
}

export interface PagePictures {
  readonly commit: string;
  readonly workflows: readonly PageWorkflow[];
  /** Spec files at the commit that do not check: their agents are listed without organisation. */
  readonly invalid: readonly string[];
}

export async function pagePictures(commit: string, files: ReadonlyMap<string, string>): Promise<PagePictures> {
  const inputs = [...files]
    .filter(([name, text]) => isWorkflowFile(name) && Buffer.byteLength(text) <= MAX_SPEC_BYTES)
    .sort(([a], [b]) => cmp(a, b))
    .map(([name, text]) => ({ file: `${WORKFLOWS_DIR}/${name}`, text }));
  const loaded = loadWorkflows(inputs);
  const invalid = [
    ...new Set([
      ...loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file),
      ...[...files.keys()].filter((n) => isWorkflowFile(n) && !inputs.some((i) => i.file.endsWith(`/${n}`))).map((n) => `${WORKFLOWS_DIR}/${n}`),
    ]),
  ].sort(cmp);
  const workflows: PageWorkflow[] = [];
  for (const w of [...loaded.workflows].sort((a, b) => cmp(a.name, b.name))) workflows.push(await pageWorkflow(w));
  return { commit, workflows, invalid };
}

async function pageWorkflow(w: Workflow): Promise<PageWorkflow> {
  const clusters = new Map(w.actors.map((a) => [a.name, a.cluster.name]));
  // workflowGraph names agent i (in the spec's sorted order) `a<i>`.
  const agents = w.agents.map((a, i) => ({ name: a.name, organisation: a.actor, cluster: clusters.get(a.actor) ?? '', node: `a${i}` }));
  const drawn = w.agents.length <= MAX_DRAWN_AGENTS ? { svg: await dotToSvg(toDot(workflowGraph(w))) } : {};
  return { name: w.name, owner: w.owner, agents, ...drawn };
}

/** One rendering per commit, shared by concurrent requests; only the latest few commits kept. */
export class PictureCache {
  private readonly byCommit = new Map<string, Promise<PagePictures>>();

  constructor(private readonly read: (commit: string) => Promise<ReadonlyMap<string, string>>) {}

  at(commit: string): Promise<PagePictures> {
    let p = this.byCommit.get(commit);
    if (!p) {
      p = this.read(commit).then((files) => pagePictures(commit, files));
      this.byCommit.set(commit, p);
      // A failure is not kept: the next request tries again.
      p.catch(() => this.byCommit.delete(commit));
      while (this.byCommit.size > 2) this.byCommit.delete(this.byCommit.keys().next().value!);
    }
    return p;
  }
}
