/**
 * The objects of a generated tree as a reconciler applies them: the kustomization.yaml of a
 * folder lists its resources (files, or folders with their own kustomization.yaml), followed in
 * order. The generated kustomizations use `resources` only, so this is what `kustomize build`
 * yields, without needing kustomize where the commands run; a kustomization using anything else
 * is refused rather than half-read.
 *
 * The tree is read from a checkout that may be a pull request's: a resource that leaves the tree
 * (`../../../home/me/.kube/config`) or is a symbolic link is refused, never read, so that no file
 * of the operator's machine is parsed, echoed in an error or sent to a cluster in a dry run.
 * Custody generates neither.
 */
import { closeSync, constants, lstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isOutside } from '../core/folders.js';
import { isDnsLabel } from '../core/names.js';
import { excerpt } from '../core/text.js';
import type { KubeObject } from './client.js';
import { ClusterError } from './errors.js';

export function treeObjects(dir: string, top = dir): KubeObject[] {
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
    const target = path.resolve(dir, String(entry));
    if (isOutside(top, target))
      throw new ClusterError('tree-unreadable', 'invalid', `${file}: the resource ${excerpt(String(entry))} is outside the tree ${top}`, {
        hint: 'a generated tree lists only its own files and folders: run custody generate',
      });
    const stat = lstatSync(target, { throwIfNoEntry: false });
    if (stat?.isSymbolicLink())
      throw new ClusterError('tree-unreadable', 'invalid', `${file}: the resource ${excerpt(String(entry))} is a symbolic link, which is not read`, {
        hint: 'a generated tree holds regular files and folders only: run custody generate',
      });
    if (stat?.isDirectory()) out.push(...treeObjects(target, top));
    else out.push(...(readYaml(target) as KubeObject[]));
  }
  return out;
}

function readYaml(file: string): unknown[] {
  let text: string;
  try {
    // Not followed even if it became a link after the check above.
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
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

/**
 * Where a cluster's trees are: its own objects, and the reconcilers' wiring that points at them.
 * The name (often a kubeconfig context's) becomes a path: only a cluster name of the spec does.
 */
export const clusterTree = (root: string, cluster: string) => path.join(root, 'generated', 'clusters', clusterFolder(cluster));
export const wiringTree = (root: string, reconciler: 'argocd' | 'flux', cluster: string) => path.join(root, 'generated', reconciler, clusterFolder(cluster));

function clusterFolder(cluster: string): string {
  if (!isDnsLabel(cluster))
    throw new ClusterError('unknown-cluster', 'usage', `${excerpt(cluster)} is not a cluster name of a workflow (a DNS-1123 label)`, {
      hint: 'pass --cluster with the name the workflows give the cluster',
    });
  return cluster;
}

/** Namespaces first (everything else lives in one), then the rest in tree order. */
export function applyOrder(objects: readonly KubeObject[]): KubeObject[] {
  return [...objects.filter((o) => o.kind === 'Namespace'), ...objects.filter((o) => o.kind !== 'Namespace')];
}
