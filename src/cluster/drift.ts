/** `custody drift`: the live access objects of a cluster's namespaces against its generated tree. */
import { accessDrift, ACCESS_KINDS, type DriftFinding } from './access-drift.js';
import type { ClusterClient, KubeObject } from './client.js';
import { clusterTree, treeObjects } from './tree.js';

export interface DriftReport {
  readonly cluster: string;
  readonly namespaces: readonly string[];
  readonly findings: readonly DriftFinding[];
  readonly widening: boolean;
}

export async function drift(client: ClusterClient, root: string, cluster: string): Promise<DriftReport> {
  const desired = treeObjects(clusterTree(root, cluster));
  const namespaces = [...new Set(desired.map((o) => o.metadata.namespace).filter((n): n is string => n !== undefined))].sort();
  const live: KubeObject[] = [];
  for (const namespace of namespaces) for (const { apiVersion, kind } of ACCESS_KINDS) live.push(...(await client.list(apiVersion, kind, namespace)));
  const findings = accessDrift(desired, live);
  return { cluster, namespaces, findings, widening: findings.some((f) => f.widening) };
}

export function renderDrift(report: DriftReport): string {
  if (report.findings.length === 0) return `${report.cluster}: the live access objects of ${report.namespaces.join(', ')} are what Git says\n`;
  const lines = report.findings.map((f) => `  ${f.widening ? 'widens ' : 'narrows'} ${f.namespace}/${f.object}: ${f.message}`);
  const wide = report.findings.filter((f) => f.widening).length;
  return `${report.cluster}: ${report.findings.length} difference(s) from Git, ${wide} widening access\n${lines.join('\n')}\n`;
}
