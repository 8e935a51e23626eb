/**
 * Everything `custody generate` writes, as trees of files in memory: pure, so the same
 * workflows always give the same bytes, and nothing touches the disk until all of it rendered.
 */
import { renderManifests } from '../manifests/index.js';
import { BUNDLES_DIR } from '../contract/index.js';
import type { VerificationKey } from '../keys/index.js';
import { compileWorkflow } from '../policy/index.js';
import type { Workflow } from '../workflow/index.js';
import { stableJson } from '../core/json.js';

/** A folder Custody owns entirely, under the output directory: written whole or not at all. */
export interface Tree {
  /** Top-level folder name, e.g. `bundles`. */
  readonly root: string;
  /** Relative path (with `/`) to content. */
  readonly files: ReadonlyMap<string, string>;
}

/** What renderers need besides the workflows, read at the edge (the CLI). */
export interface RenderInputs {
  /** The verification keys of `keys/`, sorted by id. */
  readonly keys: readonly VerificationKey[];
  readonly activeKeyId: string;
  /** Custody's package version (the bundle server's image tag). */
  readonly version: string;
  /** The mesh root certificates of `keys/roots/`, by cluster. */
  readonly roots?: ReadonlyMap<string, { readonly pem: string; readonly fingerprint: string }>;
  /** The repository of clusters whose spec names none: the clone's origin, read at the edge (absent: the examples'). */
  readonly repository?: string;
}

/** A renderer contributes one tree from all workflows (a cluster tree spans workflows). */
export type Renderer = (workflows: readonly Workflow[], inputs: RenderInputs) => Tree;

/** `bundles/<workflow>/<agent>/`: each an OPA bundle directory as it is (`opa build -b DIR`). */
export function renderBundles(workflows: readonly Workflow[]): Tree {
  const files = new Map<string, string>();
  for (const workflow of workflows) {
    for (const policy of compileWorkflow(workflow)) {
      const dir = `${policy.workflow}/${policy.agent}`;
      files.set(`${dir}/.manifest`, stableJson(policy.manifest));
      files.set(`${dir}/data.json`, stableJson(policy.data));
      files.set(`${dir}/log.rego`, policy.logMaskRego);
      files.set(`${dir}/policy.rego`, policy.rego);
    }
  }
  return { root: BUNDLES_DIR, files };
}

/** `generated/`: per-cluster manifest trees and the Argo CD and Flux wiring (src/manifests). */
export const renderGenerated: Renderer = (workflows, inputs) => renderManifests(workflows, inputs);

export const RENDERERS: readonly Renderer[] = [renderBundles, renderGenerated];

export function renderAll(workflows: readonly Workflow[], inputs: RenderInputs, renderers: readonly Renderer[] = RENDERERS): Tree[] {
  return renderers.map((r) => r(workflows, inputs));
}
