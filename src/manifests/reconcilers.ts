/**
 * How a cluster's reconciler finds its tree. Argo CD: an AppProject per workflow (its clusters,
 * its namespace, the kinds Custody renders, nothing else) and per cluster an Application per
 * folder, because an Application belongs to exactly one project. Flux: per cluster a GitRepository
 * limited to the cluster's folder and one Kustomization that prunes and waits for health.
 */
import type { IAppProject } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/AppProject';
import type { IApplication } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import type { IGitRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository';
import type { IKustomization } from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization';
import { GENERATED_DIR, SYSTEM_NAMESPACE } from '../contract/index.js';
import type { Workflow } from '../workflow/index.js';
import { LABEL } from './constants.js';
import { isInClusterIssuer } from './sidecar-auth.js';
import { boundedName, type ClusterPlan } from './topology.js';

export const ARGOCD_NAMESPACE = 'argocd';
export const FLUX_NAMESPACE = 'flux-system';
export const clusterPath = (cluster: string) => `${GENERATED_DIR}/clusters/${cluster}`;

const labels = (extra: Record<string, string>) => ({ [LABEL.managedBy]: 'custody', ...extra });

/** Cluster-scoped: the namespace only. */
const CLUSTER_KINDS = [{ group: '', kind: 'Namespace' }];
const SYSTEM_KINDS = [
  { group: '', kind: 'ConfigMap' },
  { group: '', kind: 'Service' },
  { group: '', kind: 'ServiceAccount' },
  { group: 'apps', kind: 'Deployment' },
  { group: 'networking.istio.io', kind: 'ServiceEntry' },
  { group: 'networking.istio.io', kind: 'Sidecar' },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy' },
  { group: 'security.istio.io', kind: 'AuthorizationPolicy' },
  { group: 'security.istio.io', kind: 'PeerAuthentication' },
];
const WORKFLOW_KINDS = [...SYSTEM_KINDS, { group: '', kind: 'PersistentVolumeClaim' }].sort((a, b) => (a.group + a.kind < b.group + b.kind ? -1 : 1));

// Each cluster runs its own Argo CD, which knows the cluster it runs in as `in-cluster` (the
// default of argocdDestination); `server` names an API server instead.
const destination = (c: ClusterPlan) => (c.settings.server ? { server: c.settings.server } : { name: c.settings.argocdDestination });

export function appProject(
  name: string,
  description: string,
  clusters: readonly ClusterPlan[],
  ns: string,
  kinds: typeof SYSTEM_KINDS,
  clusterKinds: typeof CLUSTER_KINDS = CLUSTER_KINDS,
): IAppProject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name, namespace: ARGOCD_NAMESPACE, labels: labels({ [LABEL.partOf]: name }) },
    spec: {
      description,
      sourceRepos: [...new Set(clusters.map((c) => c.settings.repository))].sort(),
      destinations: clusters.map((c) => ({ ...destination(c), namespace: ns })),
      clusterResourceWhitelist: clusterKinds,
      namespaceResourceWhitelist: kinds,
      orphanedResources: { warn: true },
    },
  };
}

export function workflowProject(workflow: Workflow, clusters: readonly ClusterPlan[]): IAppProject {
  return appProject(
    workflow.name,
    `Custody workflow ${workflow.name} (owner: ${workflow.owner}): its namespace in each of its clusters`,
    clusters,
    workflow.name,
    WORKFLOW_KINDS,
  );
}

export function systemProject(clusters: readonly ClusterPlan[]): IAppProject {
  // A server reading its own cluster's token keys has a ClusterRoleBinding (system.ts): allowed only then.
  const binds = clusters.some((c) => isInClusterIssuer(c.settings.tokenJwksUrl) && c.served.length > 0 && c.settings.tokenIssuer);
  const clusterKinds = binds ? [...CLUSTER_KINDS, { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' }] : CLUSTER_KINDS;
  return appProject(
    SYSTEM_NAMESPACE,
    'Custody: the bundle server, or the name by which a cluster reaches it',
    clusters,
    SYSTEM_NAMESPACE,
    SYSTEM_KINDS,
    clusterKinds,
  );
}

/**
 * The receiver's east-west objects (the Gateway and its pods' NetworkPolicy) live in the gateway's
 * namespace, which Istio's installation owns: a project of their own, limited to those two kinds
 * there, so no workflow's Application can write into istio-system.
 */
export function eastWestProject(clusters: readonly ClusterPlan[]): IAppProject {
  const project = appProject('custody-east-west', "Custody: the east-west gateway's exposure of the agents other clusters send to", clusters, 'istio-system', [
    { group: 'networking.istio.io', kind: 'Gateway' },
    { group: 'networking.k8s.io', kind: 'NetworkPolicy' },
  ]);
  // Istio's own objects fill istio-system: reporting them as orphans would only be noise.
  const { orphanedResources: _none, ...spec } = project.spec!;
  return { ...project, spec: { ...spec, clusterResourceWhitelist: [] } };
}

/** One folder of one cluster's tree, synced with prune, self-heal and server-side apply; waves order it. */
export function application(cluster: ClusterPlan, folder: string, project: string): IApplication {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: boundedName(cluster.name, folder),
      namespace: ARGOCD_NAMESPACE,
      labels: labels({ [LABEL.cluster]: cluster.name, [LABEL.partOf]: project }),
      // Deleting the Application deletes what it synced (the policies with the workloads), except
      // what carries RETAIN (the Namespace and the agents' volumes: their data). The `/foreground`
      // form (Argo CD 2.x and 3.x: foreground cascading deletion, as the bare name) because the API
      // server warns about a finalizer name without a path.
      finalizers: ['resources-finalizer.argocd.argoproj.io/foreground'],
    },
    spec: {
      project,
      source: { repoURL: cluster.settings.repository, targetRevision: cluster.settings.branch, path: `${clusterPath(cluster.name)}/${folder}` },
      destination: { ...destination(cluster), namespace: folder },
      syncPolicy: {
        automated: { prune: true, selfHeal: true, allowEmpty: false },
        syncOptions: ['ServerSideApply=true', 'PruneLast=true', 'FailOnSharedResource=true'],
        retry: { limit: 5, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
      },
    },
  };
}

export function gitRepository(cluster: ClusterPlan): IGitRepository {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name: 'custody', namespace: FLUX_NAMESPACE, labels: labels({ [LABEL.cluster]: cluster.name }) },
    spec: {
      interval: '1m',
      url: cluster.settings.repository,
      ref: { branch: cluster.settings.branch },
      // Only this cluster's tree enters the artifact: the rest of the repository is not its business.
      ignore: `/*\n!/${clusterPath(cluster.name)}/\n`,
    },
  };
}

export function fluxKustomization(cluster: ClusterPlan): IKustomization {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'custody', namespace: FLUX_NAMESPACE, labels: labels({ [LABEL.cluster]: cluster.name }) },
    spec: {
      interval: '10m',
      retryInterval: '1m',
      timeout: '5m',
      sourceRef: { kind: 'GitRepository', name: 'custody' },
      path: `./${clusterPath(cluster.name)}`,
      prune: true,
      // Health checks of everything applied: ready only when every agent's OPA has its signed bundle.
      wait: true,
      // Flux's multi-tenancy lockdown: apply as this ServiceAccount, not as the controller.
      ...(cluster.settings.fluxServiceAccount ? { serviceAccountName: cluster.settings.fluxServiceAccount } : {}),
      // Flux ignores sync waves: what must exist first (Istio, the StorageClass) is another Kustomization.
      ...(cluster.settings.fluxDependsOn?.length ? { dependsOn: cluster.settings.fluxDependsOn.map((name) => ({ name })) } : {}),
    },
  };
}
