/**
 * One agent: its identity (ServiceAccount), its Service, its own encrypted volume, the OPA
 * configuration, and the pod: the agent's service container and the OPA sidecar (the mesh
 * injects istio-proxy). Hardened as design.md says: non-root, read-only root filesystem, no
 * privilege escalation, no capabilities, RuntimeDefault seccomp, requests and limits, and no API
 * token in the service container; only OPA gets a token, with the bundle server's audience.
 */
import { createHash } from 'node:crypto';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { ISecurityContext } from 'kubernetes-models/v1/SecurityContext';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { TOKEN_AUDIENCE } from '../contract/index.js';
import type { VerificationKey } from '../keys/index.js';
import { opaSidecarConfig, SIDECAR_TOKEN_PATH } from '../policy/index.js';
import type { Agent, Workflow } from '../workflow/index.js';
import {
  ANNOTATION,
  EXT_AUTHZ_PORT,
  LABEL,
  OPA_API_PORT,
  OPA_DIAGNOSTIC_PORT,
  RETAIN,
  RUN_AS,
  TOKEN_DIR,
  TOKEN_FILE,
  TOKEN_SECONDS,
  WAVE,
} from './constants.js';
import { meta } from './objects.js';
import { toYamlText } from './yaml.js';

export interface AgentContext {
  readonly workflow: Workflow;
  readonly agent: Agent;
  readonly cluster: string;
  readonly storageClass: string;
  /** The cluster's OPA image (`opaImage`, default the version the tests run). */
  readonly opaImage: string;
  readonly bundleServerUrl: string;
  readonly keys: readonly VerificationKey[];
  readonly activeKeyId: string;
  readonly labels: Record<string, string>;
}

export const agentLabels = (workflow: Workflow, agent: Agent, cluster: string): Record<string, string> => ({
  [LABEL.name]: agent.name,
  [LABEL.component]: 'agent',
  [LABEL.partOf]: workflow.name,
  [LABEL.workflow]: workflow.name,
  [LABEL.agent]: agent.name,
  [LABEL.actor]: agent.actor,
  [LABEL.cluster]: cluster,
});

/** The agent's service container's requests and limits unless its spec gives others (`resources`). */
export const SERVICE_RESOURCES = {
  requests: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '64Mi' },
  limits: { cpu: '1', memory: '512Mi', 'ephemeral-storage': '256Mi' },
} as const;

export const dataClaimName = (agent: string) => `${agent}-data`;
export const opaConfigName = (agent: string) => `${agent}-opa`;

/** The restricted Pod Security profile, plus a read-only root filesystem, for every container. */
export function containerSecurity(): ISecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: RUN_AS,
    runAsGroup: RUN_AS,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function serviceAccount(c: AgentContext): IServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(c.agent.name, c.workflow.name, WAVE.workload, c.labels),
    // The agent's identity in the mesh; no API access, so no token is mounted by default.
    automountServiceAccountToken: false,
  };
}

export function service(c: AgentContext): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(c.agent.name, c.workflow.name, WAVE.workload, c.labels),
    spec: {
      type: 'ClusterIP',
      selector: { [LABEL.agent]: c.agent.name },
      ports: [{ name: 'http', port: c.agent.port, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' }],
    },
  };
}

/** The agent's own volume, on the cluster's encrypted StorageClass; never shared (ReadWriteOnce, one pod). */
export function dataClaim(c: AgentContext): IPersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(dataClaimName(c.agent.name), c.workflow.name, WAVE.workload, c.labels, RETAIN),
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: c.storageClass,
      resources: { requests: { storage: c.agent.storage } },
    },
  };
}

/** OPA's configuration file, from the one function the tests' real sidecars use too. */
export function opaConfigText(c: AgentContext): string {
  return toYamlText(
    opaSidecarConfig({
      bundleServerUrl: c.bundleServerUrl,
      workflow: c.workflow.name,
      agent: c.agent.name,
      actor: c.agent.actor,
      cluster: c.cluster,
      keyId: c.activeKeyId,
      keys: c.keys,
      tokenPath: SIDECAR_TOKEN_PATH,
    }),
  );
}

export function opaConfigMap(c: AgentContext, text: string): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(opaConfigName(c.agent.name), c.workflow.name, WAVE.workload, c.labels),
    data: { 'config.yaml': text },
  };
}

export function deployment(c: AgentContext, opaConfig: string): IDeployment {
  const selector = { [LABEL.workflow]: c.workflow.name, [LABEL.agent]: c.agent.name };
  const service: IContainer = {
    name: 'service',
    image: c.agent.image,
    imagePullPolicy: 'Always',
    ports: [{ name: 'http', containerPort: c.agent.port, protocol: 'TCP' }],
    env: [
      { name: 'CUSTODY_WORKFLOW', value: c.workflow.name },
      { name: 'CUSTODY_AGENT', value: c.agent.name },
      { name: 'CUSTODY_DATA_DIR', value: '/data' },
      { name: 'TMPDIR', value: '/tmp' },
    ],
    volumeMounts: [
      { name: 'data', mountPath: '/data' },
      { name: 'tmp', mountPath: '/tmp' },
    ],
    readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 10, failureThreshold: 3 },
    // The spec's values over the defaults, one resource at a time: a spec giving only memory keeps the rest.
    resources: {
      requests: { ...SERVICE_RESOURCES.requests, ...c.agent.resources?.requests },
      limits: { ...SERVICE_RESOURCES.limits, ...c.agent.resources?.limits },
    },
    securityContext: containerSecurity(),
  };
  const opa: IContainer = {
    name: 'opa',
    image: c.opaImage,
    imagePullPolicy: 'Always',
    // The REST API only on loopback: nothing outside the pod may read the policy or its data.
    args: ['run', '--server', '--config-file=/config/config.yaml', `--addr=127.0.0.1:${OPA_API_PORT}`, `--diagnostic-addr=0.0.0.0:${OPA_DIAGNOSTIC_PORT}`],
    ports: [
      { name: 'grpc-authz', containerPort: EXT_AUTHZ_PORT, protocol: 'TCP' },
      { name: 'http-diag', containerPort: OPA_DIAGNOSTIC_PORT, protocol: 'TCP' },
    ],
    // Ready only once the signed bundle is active: until then the pod receives no traffic.
    readinessProbe: { httpGet: { path: '/health?bundles', port: 'http-diag' }, periodSeconds: 5, failureThreshold: 3 },
    livenessProbe: { httpGet: { path: '/health', port: 'http-diag' }, initialDelaySeconds: 10, periodSeconds: 20, failureThreshold: 3 },
    volumeMounts: [
      { name: 'opa-config', mountPath: '/config', readOnly: true },
      { name: 'bundle-server-token', mountPath: TOKEN_DIR, readOnly: true },
    ],
    resources: {
      requests: { cpu: '50m', memory: '64Mi', 'ephemeral-storage': '16Mi' },
      limits: { cpu: '500m', memory: '256Mi', 'ephemeral-storage': '64Mi' },
    },
    securityContext: containerSecurity(),
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(c.agent.name, c.workflow.name, WAVE.workload, c.labels),
    spec: {
      // One pod: the agent owns a ReadWriteOnce volume, and a rolling update would wait on it.
      replicas: 1,
      revisionHistoryLimit: 3,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: c.labels,
          annotations: { [ANNOTATION.opaConfig]: createHash('sha256').update(opaConfig).digest('hex') },
        },
        spec: {
          serviceAccountName: c.agent.name,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS,
            runAsGroup: RUN_AS,
            fsGroup: RUN_AS,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...(c.agent.imagePullSecrets?.length ? { imagePullSecrets: c.agent.imagePullSecrets.map((name) => ({ name })) } : {}),
          containers: [service, opa],
          volumes: [
            { name: 'data', persistentVolumeClaim: { claimName: dataClaimName(c.agent.name) } },
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            { name: 'opa-config', configMap: { name: opaConfigName(c.agent.name) } },
            {
              name: 'bundle-server-token',
              projected: { sources: [{ serviceAccountToken: { audience: TOKEN_AUDIENCE, expirationSeconds: TOKEN_SECONDS, path: TOKEN_FILE } }] },
            },
          ],
        },
      },
    },
  };
}
