/**
 * `custody-system` in the owner's cluster: the bundle server itself. Other clusters get only the
 * name by which they reach it (server-route.ts).
 */
import type { IAuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import {
  BUNDLES_URL_PREFIX,
  SERVER_ENV,
  SERVER_NAME,
  SERVER_PORT,
  SYSTEM_NAMESPACE,
  TOKEN_AUDIENCE,
  type ClusterIssuer,
  type ServerConfigFile,
} from '../contract/index.js';
import { ANNOTATION, custodyImage, GIT_CREDENTIALS_SECRET, LABEL, RUN_AS, SIGNING_KEY_SECRET, WAVE, WEBHOOK_SECRET } from './constants.js';
import { denyAll, defaultSidecar, externalServiceEntry, strictMtls } from './mesh.js';
import { namespace } from './namespace.js';
import { ANYWHERE, defaultDeny, EAST_WEST_GATEWAY, meshEgress } from './network.js';
import { meta, type KubeObject, type Placed } from './objects.js';
import { principal, type ClusterPlan, type Topology } from './topology.js';
import { containerSecurity } from './workload.js';
import { clusterIssuer, isInClusterIssuer, JWKS_CREDENTIALS_DIR, jwksFileName } from './sidecar-auth.js';
import { toYamlText } from './yaml.js';

const SIGNING_KEY_DIR = '/etc/custody/signing-key';
const SIGNING_KEY_FILE = 'private-key.pem';
export const SERVER_LABELS = { [LABEL.partOf]: 'custody', [LABEL.name]: SERVER_NAME, [LABEL.component]: 'bundle-server' };
const labels = SERVER_LABELS;
const selector = { [LABEL.name]: SERVER_NAME };

/** A host the server must reach outside the mesh (its repository, the clusters' token keys). */
export interface ExternalHost {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export function externalHost(url: string): ExternalHost {
  const u = new URL(url);
  const tls = u.protocol !== 'ssh:';
  return { host: u.hostname, port: u.port ? Number(u.port) : tls ? 443 : 22, tls };
}

/**
 * The clusters whose bundle server would be handed a repository it cannot fetch. The server clones
 * over https (src/server/config.ts refuses any other URL when it starts), while a spec or the
 * clone's origin may give ssh://, which Argo CD and Flux fetch over: so only the clusters that run
 * the server are concerned, and there the deployment would never come up.
 */
export function serverRepositoryGaps(t: Topology): ClusterPlan[] {
  return t.clusters.filter((c) => c.served.length > 0 && new URL(c.settings.repository).protocol !== 'https:');
}

export interface ServerInputs {
  readonly cluster: ClusterPlan;
  readonly topology: Topology;
  readonly activeKeyId: string;
  readonly version: string;
  /** The clusters' committed token key sets (`keys/jwks/`), by cluster. */
  readonly jwks: ReadonlyMap<string, { readonly json: string }>;
}

/** The bundle server's configuration file (the rest comes from the Deployment's environment; no secret in it). */
export function serverConfig(s: ServerInputs): ServerConfigFile {
  const clusters = new Map<string, ClusterIssuer>();
  const committed = new Set(s.jwks.keys());
  for (const workflow of s.cluster.served) {
    for (const actor of workflow.actors) {
      const issuer = clusterIssuer(s.topology.cluster(actor.cluster.name), committed, s.cluster.name);
      if (issuer) clusters.set(issuer.cluster, issuer);
    }
  }
  return {
    cacheDir: '/var/cache/custody',
    decisionLogFile: '/var/lib/custody/decisions.jsonl',
    // The server's pod has an Envoy sidecar, which connects to the server from a loopback address
    // (127.0.0.6) for every caller: `local` would answer the whole mesh. Prometheus brings a token.
    metricsAccess: 'admin',
    clusters: [...clusters.values()].sort((a, b) => (a.cluster < b.cluster ? -1 : 1)),
  };
}

export function serverObjects(s: ServerInputs): Placed[] {
  const ns = SYSTEM_NAMESPACE;
  const { settings } = s.cluster;
  const serverFile = serverConfig(s);
  const configText = toYamlText(serverFile);
  // The committed key sets the configuration names, beside it in the same ConfigMap (public keys).
  const jwksData = Object.fromEntries((serverFile.clusters ?? []).flatMap((c) => (c.jwksFile ? [[jwksFileName(c.cluster), s.jwks.get(c.cluster)!.json]] : [])));
  const hosts = new Map<string, ExternalHost>();
  // The cluster's own API server is no external host: it is reached by its Service, on its own rules below.
  const ownIssuer = (serverFile.clusters ?? []).find((c) => c.jwksTokenFile !== undefined);
  for (const url of [settings.repository, ...(serverFile.clusters ?? []).flatMap((c) => (c === ownIssuer ? [] : (c.jwksUrl ?? [])))]) {
    const h = externalHost(url);
    hosts.set(`${h.host}:${h.port}`, h);
  }
  const external = [...hosts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, h]) => h);
  // Every agent of the workflows this server serves, wherever it runs: the only callers allowed.
  const principals = s.cluster.served.flatMap((w) => w.agents.map((a) => principal(w, a.name))).sort();
  const localNamespaces = s.cluster.placements.map((p) => p.workflow.name);

  const account: IServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: meta(SERVER_NAME, ns, WAVE.workload, labels),
    automountServiceAccountToken: false,
  };
  // Reading the cluster's own token keys, nothing else: the role every cluster has for it.
  const discovery: IClusterRoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: meta(`${SERVER_NAME}-issuer-discovery`, undefined, WAVE.workload, labels),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:service-account-issuer-discovery' },
    subjects: [{ kind: 'ServiceAccount', name: SERVER_NAME, namespace: ns }],
  };
  const config: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(SERVER_NAME, ns, WAVE.workload, labels),
    data: { 'config.yaml': configText, ...jwksData },
  };
  const svc: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(SERVER_NAME, ns, WAVE.workload, labels),
    spec: { type: 'ClusterIP', selector, ports: [{ name: 'http', port: SERVER_PORT, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' }] },
  };
  // For the cluster's own /openid/v1/jwks: a token of the server's ServiceAccount for the API
  // server itself (no audience: the API server's default), renewed by the kubelet, and the CA.
  const jwksCredentials = {
    name: 'jwks-credentials',
    projected: {
      defaultMode: 0o440,
      sources: [
        { serviceAccountToken: { path: 'token', expirationSeconds: 600 } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      ],
    },
  };
  const optionalSecret = (name: string, secret: string) => ({ name, valueFrom: { secretKeyRef: { name: secret, key: 'token', optional: true } } });
  const deployment: IDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(SERVER_NAME, ns, WAVE.workload, labels),
    spec: {
      // One replica: the rollout view (status reports) is kept in memory; see docs/gitops.md.
      replicas: 1,
      revisionHistoryLimit: 3,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: SERVER_NAME,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: RUN_AS, runAsGroup: RUN_AS, fsGroup: RUN_AS, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'server',
              image: s.cluster.settings.serverImage ?? custodyImage(s.version),
              imagePullPolicy: 'Always',
              // The image's entrypoint is `custody serve` (Dockerfile): only its options here.
              args: ['--config', '/etc/custody/config/config.yaml'],
              env: [
                { name: SERVER_ENV.host, value: '0.0.0.0' },
                { name: SERVER_ENV.port, value: String(SERVER_PORT) },
                { name: SERVER_ENV.repository, value: settings.repository },
                { name: SERVER_ENV.branch, value: settings.branch },
                { name: SERVER_ENV.tokenAudience, value: TOKEN_AUDIENCE },
                { name: SERVER_ENV.signingKeyFile, value: `${SIGNING_KEY_DIR}/${SIGNING_KEY_FILE}` },
                { name: SERVER_ENV.signingKeyId, value: s.activeKeyId },
                optionalSecret(SERVER_ENV.gitToken, GIT_CREDENTIALS_SECRET),
                optionalSecret(SERVER_ENV.webhookSecret, WEBHOOK_SECRET),
              ],
              ports: [{ name: 'http', containerPort: SERVER_PORT, protocol: 'TCP' }],
              readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 20, failureThreshold: 3 },
              volumeMounts: [
                { name: 'config', mountPath: '/etc/custody/config', readOnly: true },
                { name: 'signing-key', mountPath: SIGNING_KEY_DIR, readOnly: true },
                { name: 'cache', mountPath: '/var/cache/custody' },
                { name: 'decisions', mountPath: '/var/lib/custody' },
                { name: 'tmp', mountPath: '/tmp' },
                ...(ownIssuer ? [{ name: 'jwks-credentials', mountPath: JWKS_CREDENTIALS_DIR, readOnly: true }] : []),
              ],
              resources: {
                requests: { cpu: '100m', memory: '256Mi', 'ephemeral-storage': '256Mi' },
                limits: { cpu: '2', memory: '1Gi', 'ephemeral-storage': '2Gi' },
              },
              securityContext: containerSecurity(),
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: SERVER_NAME } },
            // A reference only: the private key never enters Git (custody keygen writes it outside).
            { name: 'signing-key', secret: { secretName: SIGNING_KEY_SECRET, defaultMode: 0o440, items: [{ key: SIGNING_KEY_FILE, path: SIGNING_KEY_FILE }] } },
            { name: 'cache', emptyDir: { sizeLimit: '1Gi' } },
            { name: 'decisions', emptyDir: { sizeLimit: '512Mi' } },
            { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
            ...(ownIssuer ? [jwksCredentials] : []),
          ],
        },
      },
    },
  };
  const allow: IAuthorizationPolicy = {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: meta('allow-sidecars', ns, WAVE.allow, labels),
    spec: {
      selector: { matchLabels: selector },
      action: 'ALLOW',
      rules:
        principals.length === 0
          ? []
          : [
              {
                from: [{ source: { principals } }],
                to: [{ operation: { methods: ['GET'], paths: [`${BUNDLES_URL_PREFIX}*`], ports: [String(SERVER_PORT)] } }],
              },
              { from: [{ source: { principals } }], to: [{ operation: { methods: ['POST'], paths: ['/status', '/logs'], ports: [String(SERVER_PORT)] } }] },
            ],
    },
  };
  const egress: INetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('allow-mesh-and-repository', ns, WAVE.deny, labels),
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        ...meshEgress(),
        ...[...new Set(external.map((h) => h.port))].sort((a, b) => a - b).map((port) => ({ to: [ANYWHERE], ports: [{ protocol: 'TCP' as const, port }] })),
        // The API server is no pod: a NetworkPolicy sees the endpoint kube-proxy chose (its own
        // address and port, not the Service's 443), so an address block and that port.
        ...(ownIssuer ? [{ to: [{ ipBlock: { cidr: settings.apiServerCidr } }], ports: [{ protocol: 'TCP' as const, port: settings.apiServerPort }] }] : []),
      ],
    },
  };
  const ingress: INetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(SERVER_NAME, ns, WAVE.allow, labels),
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            ...localNamespaces.map((wf) => ({
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': wf } },
              podSelector: { matchExpressions: [{ key: LABEL.agent, operator: 'Exists' }] },
            })),
            EAST_WEST_GATEWAY,
          ],
          ports: [{ protocol: 'TCP', port: SERVER_PORT }],
        },
      ],
    },
  };
  const objects: [string, KubeObject][] = [
    ['namespace.yaml', namespace(ns, settings.istioCni, { [LABEL.partOf]: 'custody' })],
    ['peerauthentication-default.yaml', strictMtls(ns, labels)],
    ['authorizationpolicy-deny-all.yaml', denyAll(ns, labels)],
    ['authorizationpolicy-allow-sidecars.yaml', allow],
    ['sidecar-default.yaml', defaultSidecar(ns, labels, ownIssuer ? ['./*', 'default/kubernetes.default.svc.cluster.local'] : ['./*'])],
    ...external.map((h): [string, KubeObject] => [
      `serviceentry-${h.host}-${h.port}.yaml`,
      externalServiceEntry(`${h.host.replace(/\./g, '-')}-${h.port}`, ns, h.host, h.port, h.tls, labels),
    ]),
    ['networkpolicy-default-deny.yaml', defaultDeny(ns, labels)],
    ['networkpolicy-allow-mesh-and-repository.yaml', egress],
    ['networkpolicy-custody-bundle-server.yaml', ingress],
    ['serviceaccount.yaml', account],
    ...(ownIssuer ? [['clusterrolebinding-issuer-discovery.yaml', discovery] as [string, KubeObject]] : []),
    ['configmap.yaml', config],
    ['service.yaml', svc],
    ['deployment.yaml', deployment],
  ];
  return objects.map(([file, object]) => ({ file, object }));
}
