/**
 * `custody status --kube`: is every cluster running what Git says, and every sidecar enforcing
 * it? One row per agent of the cluster, joining the live cluster (Deployment, pods, the OPA
 * container, the reconciler's own status objects) with the bundle server's rollout view (the
 * revision it serves and the one each sidecar reports).
 */
import { readFileSync } from 'node:fs';
import { topology } from '../manifests/index.js';
import type { RolloutView } from '../server/rollout.js';
import type { Workflow } from '../workflow/index.js';
import type { ClusterClient, KubeObject } from './client.js';
import { ClusterError } from './errors.js';

export interface AgentStatus {
  readonly workflow: string;
  readonly agent: string;
  /** `ready/wanted` of the Deployment; `missing` when it does not exist. */
  readonly deployment: string;
  readonly podsReady: string;
  readonly opaReady: boolean;
  /** `argocd Synced/Healthy @rev`, `flux Ready @rev`, or why not. */
  readonly reconciler: string;
  readonly reconcilerSynced: boolean;
  /** `served rev; sidecars rev,…` from the bundle server, when asked. */
  readonly policy?: string;
  readonly policyInSync?: boolean;
  readonly ok: boolean;
}

export interface KubeStatusReport {
  readonly cluster: string;
  readonly context: string;
  readonly ok: boolean;
  readonly agents: readonly AgentStatus[];
}

type Condition = { type?: string; status?: string; message?: string };
const conditions = (o: KubeObject | undefined) => (o?.status as { conditions?: Condition[] } | undefined)?.conditions ?? [];
const short = (rev: unknown) => (typeof rev === 'string' ? rev.replace(/^.*[@:]/, '').slice(0, 12) : '?');

async function reconcilerState(client: ClusterClient, cluster: string, workflow: string): Promise<{ words: string; synced: boolean }> {
  const app = await client.get('argoproj.io/v1alpha1', 'Application', `${cluster}-${workflow}`, 'argocd');
  const parts: { words: string; synced: boolean }[] = [];
  if (app) {
    const s = (app.status ?? {}) as { sync?: { status?: string; revision?: string }; health?: { status?: string } };
    parts.push({
      words: `argocd ${s.sync?.status ?? 'Unknown'}/${s.health?.status ?? 'Unknown'} @${short(s.sync?.revision)}`,
      synced: s.sync?.status === 'Synced' && s.health?.status === 'Healthy',
    });
  }
  const ks = await client.get('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'custody', 'flux-system');
  if (ks) {
    const ready = conditions(ks).find((c) => c.type === 'Ready');
    const rev = (ks.status as { lastAppliedRevision?: string } | undefined)?.lastAppliedRevision;
    parts.push({ words: `flux Ready=${ready?.status ?? 'Unknown'} @${short(rev)}`, synced: ready?.status === 'True' });
  }
  if (parts.length === 0) return { words: 'no Argo CD Application or Flux Kustomization found', synced: false };
  return { words: parts.map((p) => p.words).join('; '), synced: parts.every((p) => p.synced) };
}

async function rollout(server: { url: string; tokenFile: string }): Promise<RolloutView> {
  const token = readFileSync(server.tokenFile, 'utf8').trim();
  let response: Response;
  try {
    response = await fetch(new URL('/api/rollout', server.url), { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    throw new ClusterError('bundle-server-unreachable', 'operational', `cannot reach the bundle server at ${server.url}: ${(err as Error).message}`);
  }
  if (!response.ok)
    throw new ClusterError('bundle-server-refused', 'operational', `${server.url} answered ${response.status}`, {
      hint: 'pass an admin token with --token-file',
    });
  return (await response.json()) as RolloutView;
}

export async function kubeStatus(
  client: ClusterClient,
  workflows: readonly Workflow[],
  cluster: string,
  server?: { url: string; tokenFile: string },
): Promise<KubeStatusReport> {
  const plan = topology(workflows).clusters.find((c) => c.name === cluster);
  if (!plan) throw new ClusterError('unknown-cluster', 'usage', `no workflow places an agent in cluster "${cluster}"`, { hint: 'pass --cluster' });
  const view = server ? await rollout(server) : undefined;
  const agents: AgentStatus[] = [];
  for (const placement of plan.placements) {
    const wf = placement.workflow.name;
    const reconciler = await reconcilerState(client, cluster, wf);
    for (const { name } of placement.agents) {
      const dep = await client.get('apps/v1', 'Deployment', name, wf);
      const wanted = (dep?.spec as { replicas?: number } | undefined)?.replicas ?? 1;
      const ready = (dep?.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0;
      const pods = await client.list('v1', 'Pod', wf, `custody.dev/workflow=${wf},custody.dev/agent=${name}`);
      const podReady = pods.filter((p) => conditions(p).some((c) => c.type === 'Ready' && c.status === 'True'));
      const opaReady =
        pods.length > 0 &&
        pods.every((p) =>
          ((p.status as { containerStatuses?: { name: string; ready: boolean }[] } | undefined)?.containerStatuses ?? []).some(
            (c) => c.name === 'opa' && c.ready,
          ),
        );
      const entry = view?.agents.find((a) => a.workflow === wf && a.agent === name);
      const policy = view
        ? entry
          ? `served ${short(entry.served?.revision)}; sidecars ${entry.sidecars.map((s) => short(s.activeRevision)).join(',') || 'none reporting'}`
          : 'not served'
        : undefined;
      const policyInSync = view ? !!entry?.inSync : undefined;
      const deploymentOk = !!dep && ready >= wanted && wanted > 0;
      agents.push({
        workflow: wf,
        agent: name,
        deployment: dep ? `${ready}/${wanted}` : 'missing',
        podsReady: `${podReady.length}/${pods.length}`,
        opaReady,
        reconciler: reconciler.words,
        reconcilerSynced: reconciler.synced,
        ...(policy !== undefined ? { policy, policyInSync: policyInSync! } : {}),
        ok: deploymentOk && podReady.length === pods.length && opaReady && reconciler.synced && policyInSync !== false,
      });
    }
  }
  return { cluster, context: client.context, ok: agents.every((a) => a.ok), agents };
}

export function renderKubeStatus(report: KubeStatusReport): string {
  const header = ['', 'AGENT', 'DEPLOY', 'PODS', 'OPA', 'RECONCILER', 'POLICY'];
  const rows = report.agents.map((a) => [
    a.ok ? 'ok' : 'XX',
    `${a.workflow}/${a.agent}`,
    a.deployment,
    a.podsReady,
    a.opaReady ? 'ready' : 'not ready',
    a.reconciler,
    a.policy ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const bad = report.agents.filter((a) => !a.ok).length;
  return `cluster ${report.cluster} (context ${report.context})\n${[header, ...rows].map(line).join('\n')}\n${bad === 0 ? 'every agent runs what Git says' : `${bad} agent(s) not running what Git says`}\n`;
}
