/**
 * Everything `custody generate` writes, as trees of files in memory: pure, so the same
 * workflows always give the same bytes, and nothing touches the disk until all of it rendered.
 */
import { compileWorkflow } from '../policy/index.js';
import type { Workflow } from '../spec/index.js';
import { stableJson } from './json.js';

/** A folder Custody owns entirely, under the output directory: written whole or not at all. */
export interface Tree {
  /** Top-level folder name, e.g. `bundles`. */
  readonly root: string;
  /** Relative path (with `/`) to content. */
  readonly files: ReadonlyMap<string, string>;
}

/** A renderer contributes one tree from all workflows (a cluster tree spans workflows). */
export type Renderer = (workflows: readonly Workflow[]) => Tree;

/** `bundles/<workflow>/<agent>/`: each an OPA bundle directory as it is (`opa build -b DIR`). */
export const renderBundles: Renderer = (workflows) => {
  const files = new Map<string, string>();
  for (const workflow of workflows) {
    for (const policy of compileWorkflow(workflow)) {
      const dir = `${policy.workflow}/${policy.agent}`;
      files.set(`${dir}/.manifest`, stableJson(policy.manifest));
      files.set(`${dir}/data.json`, stableJson(policy.data));
      files.set(`${dir}/policy.rego`, policy.rego);
    }
  }
  return { root: 'bundles', files };
};

export const RENDERERS: readonly Renderer[] = [renderBundles];

export function renderAll(workflows: readonly Workflow[], renderers: readonly Renderer[] = RENDERERS): Tree[] {
  return renderers.map((r) => r(workflows));
}
