/**
 * The objects of a generated tree as a reconciler applies them: the kustomization.yaml of a
 * folder lists its resources (files, or folders with their own kustomization.yaml), followed in
 * order. The generated kustomizations use `resources` only, so this is what `kustomize build`
 * yields, without needing kustomize where the commands run; a kustomization using anything else
 * is refused rather than half-read.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './client.js';
import { ClusterError } from './errors.js';

export function treeObjects(dir: string): KubeObject[] {
  const file = path.join(dir, 'kustomization.yaml');
  const k = readYaml(file)[0] as { resources?: unknown; [key: string]: unknown } | undefined;
  const extra = Object.keys(k ?? {}).filter((key) => !['apiVersion', 'kind', 'resources'].includes(key));
  if (!k || !Array.isArray(k.resources) || extra.length > 0) {
    throw new ClusterError(
      'tree-unreadable',
      'invalid',
      `${file}: expected a kustomization with resources only${extra.length ? ` (it has ${extra.join(', ')})` : ''}`,
    );
  }
  const out: KubeObject[] = [];
  for (const entry of k.resources as unknown[]) {
    const target = path.join(dir, String(entry));
    if (statSync(target, { throwIfNoEntry: false })?.isDirectory()) out.push(...treeObjects(target));
    else out.push(...(readYaml(target) as KubeObject[]));
  }
  return out;
}

function readYaml(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ClusterError('tree-unreadable', 'invalid', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: 'run custody generate',
    });
  }
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new ClusterError('tree-unreadable', 'invalid', `${file}: ${d.errors[0]!.message}`);
      return d.toJS() as unknown;
    })
    .filter((v) => v !== null && v !== undefined);
}

/** Where a cluster's trees are: its own objects, and the reconcilers' wiring that points at them. */
export const clusterTree = (root: string, cluster: string) => path.join(root, 'generated', 'clusters', cluster);
export const wiringTree = (root: string, reconciler: 'argocd' | 'flux', cluster: string) => path.join(root, 'generated', reconciler, cluster);

/** Namespaces first (everything else lives in one), then the rest in tree order. */
export function applyOrder(objects: readonly KubeObject[]): KubeObject[] {
  return [...objects.filter((o) => o.kind === 'Namespace'), ...objects.filter((o) => o.kind !== 'Namespace')];
}
