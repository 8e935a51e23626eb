/**
 * `HANDOVER.md` beside each cluster tree: the page the organisation running the cluster receives
 * with it. What its administrator installs and configures before the tree can come up (Istio and
 * its mesh settings, the CNI, the encrypted StorageClass, what the agents' images must allow, pull
 * secrets, in the owner's cluster the signing-key Secret), the repository access it needs, the one
 * command that applies the tree, and what to send back to the owner. Written for that
 * organisation alone: it names only its own actors, agents and clusters, and the peer clusters its
 * mesh already has to trust (istiod-values.yaml lists the same).
 */
import { markdownCode, markdownText } from '../core/text.js';
import { SYSTEM_NAMESPACE } from '../contract/index.js';
import {
  EXT_AUTHZ_HOST,
  EXT_AUTHZ_PORT,
  EXT_AUTHZ_PROVIDER,
  EXT_AUTHZ_TIMEOUT,
  GENERATED_HEADER,
  ISTIOD_VALUES_FILE,
  ROOTS_DIR,
  RUN_AS,
  SIGNING_KEY_SECRET,
} from './constants.js';
import { meshPeers, type PeerRoot } from './mesh-config.js';
import { receivesAcrossClusters } from './east-west.js';
import { clusterPath, FLUX_NAMESPACE } from './reconcilers.js';
import { SERVICE_RESOURCES } from './workload.js';
import { clusterIssuer } from './sidecar-auth.js';
import type { ClusterPlan, Topology } from './topology.js';

export const HANDOVER_FILE = 'HANDOVER.md';

export interface PrerequisiteInputs {
  readonly roots: ReadonlyMap<string, PeerRoot>;
  /** Clusters whose token key set is committed (`keys/jwks/<cluster>.json`). */
  readonly jwks: ReadonlySet<string>;
  readonly activeKeyId: string;
}

const code = markdownCode;

/** Encrypted StorageClasses for the common CSI provisioners; the angle brackets are the administrator's values. */
function storageClassExamples(name: string): string[] {
  const sc = (provisioner: string, parameters: string[]) => [
    '```yaml',
    'apiVersion: storage.k8s.io/v1',
    'kind: StorageClass',
    'metadata:',
    `  name: ${name}`,
    `provisioner: ${provisioner}`,
    'parameters:',
    ...parameters.map((p) => `  ${p}`),
    "# Retain: deleting a claim by mistake leaves the disk (and the agent's data) in place.",
    'reclaimPolicy: Retain',
    'volumeBindingMode: WaitForFirstConsumer',
    'allowVolumeExpansion: true',
    '```',
  ];
  return [
    '- Google Cloud (Persistent Disk CSI), encrypted with your Cloud KMS key (CMEK):',
    '',
    ...sc('pd.csi.storage.gke.io', [
      'type: pd-balanced',
      'disk-encryption-kms-key: projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>',
    ]).map((l) => `  ${l}`),
    '',
    "- AWS (EBS CSI), encrypted with your KMS key (without `kmsKeyId`, the region's `aws/ebs` key):",
    '',
    ...sc('ebs.csi.aws.com', ['type: gp3', 'encrypted: "true"', 'kmsKeyId: arn:aws:kms:<region>:<account>:key/<key-id>']).map((l) => `  ${l}`),
    '',
    '- Azure (Disk CSI), encrypted with your disk encryption set (customer-managed key):',
    '',
    ...sc('disk.csi.azure.com', [
      'skuName: Premium_LRS',
      'diskEncryptionSetID: /subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Compute/diskEncryptionSets/<set>',
    ]).map((l) => `  ${l}`),
  ];
}

export function handover(topo: Topology, cluster: ClusterPlan, inputs: PrerequisiteInputs): string {
  const s = cluster.settings;
  const actors = [...new Set(cluster.placements.flatMap((p) => p.agents.map((a) => `${a.actor} (workflow ${p.workflow.name})`)))].sort();
  const peers = meshPeers(topo, cluster, inputs.roots);
  const lines: string[] = [
    `<!-- ${GENERATED_HEADER} -->`,
    '',
    `# Cluster ${code(cluster.name)}: what to set up, apply and send back`,
    '',
    `For the administrator of ${code(cluster.name)} (${actors.length ? `actors here: ${actors.map(markdownText).join(', ')}` : 'no agents here'}).`,
    `Your tree is ${code(`${clusterPath(cluster.name)}/`)} with its reconciler wiring in ${code(`generated/argocd/${cluster.name}/`)} or ${code(`generated/flux/${cluster.name}/`)}:`,
    "Argo CD or Flux applies this folder's `kustomization.yaml`; what the steps below set up is not in it",
    'and must exist first. See docs/gitops.md for the reasons.',
    '',
    "## 1. Istio with this cluster's mesh configuration",
    '',
    `Istio 1.22 or later with sidecar injection, istiod installed with ${code(ISTIOD_VALUES_FILE)} (this folder). Its mesh settings:`,
    '',
    `- trust domain ${code(s.trustDomain)}, the domain of every SPIFFE identity of the agents here;`,
    `- the extension provider ${code(EXT_AUTHZ_PROVIDER)}: ext_authz over gRPC to the pod-local OPA (${code(`${EXT_AUTHZ_HOST}:${EXT_AUTHZ_PORT}`)}), timeout ${code(EXT_AUTHZ_TIMEOUT)}, failing closed;`,
    "- the peers' root certificates, each bound to its trust domain (below).",
    '',
    'The tree itself sets STRICT mutual TLS, deny-by-default authorization and registry-only egress in each of its namespaces.',
    '',
    '```sh',
    `helm upgrade --install istiod istio/istiod -n istio-system -f generated/clusters/${cluster.name}/${ISTIOD_VALUES_FILE} -f <your own values>`,
    '```',
    '',
  ];
  if (peers.length) {
    lines.push('Peer clusters this mesh must trust, and whether their root is committed:', '');
    for (const p of peers)
      lines.push(
        `- ${code(p.cluster)} (trust domain ${code(p.trustDomain)}): ${p.root ? `root committed, SHA-256 ${code(p.root.fingerprint)}` : `**missing**: ${code(`${ROOTS_DIR}/${p.cluster}.pem`)} is not committed yet, requests with it fail`}`,
      );
    lines.push(
      '',
      'Cross-cluster requests also need an east-west gateway (`istio: eastwestgateway` in `istio-system`, port 15443) reachable from the peers.',
      '',
    );
  }
  lines.push(
    '## 2. The CNI',
    '',
    s.istioCni
      ? '- The Istio CNI plugin (`istio/cni` chart): the namespaces are labelled for the `restricted` Pod Security level, which forbids the `istio-init` container.'
      : '- Without the Istio CNI plugin (`istioCni: false` in the spec): the namespaces are enforce the `privileged` Pod Security level (warning and auditing at `restricted`), since `istio-init` needs `NET_ADMIN` and `NET_RAW`.',
    '- A CNI that enforces NetworkPolicy: every namespace of the tree denies all traffic but DNS, istiod, the bundle server and its flows.',
    '',
    `## 3. The encrypted StorageClass ${code(s.storageClass)}`,
    '',
    "Every agent's own volume is claimed from it; Custody does not create it. Check with",
    `${code(`kubectl get storageclass ${s.storageClass}`)}. Examples (choose one, fill in your key):`,
    '',
    ...storageClassExamples(s.storageClass),
    '',
  );
  let step = 4;
  lines.push(...imageSection(step++, cluster));
  if (cluster.served.length) {
    lines.push(
      `## ${step++}. The bundle signing key Secret`,
      '',
      `This cluster runs the bundle server of ${cluster.served.map((w) => code(w.name)).join(', ')}. It signs with key ${code(inputs.activeKeyId)}, whose private`,
      'half `custody keygen` wrote outside Git; it is referenced, never rendered:',
      '',
      '```sh',
      `kubectl create namespace ${SYSTEM_NAMESPACE}   # unless Argo CD or Flux has created it already`,
      `kubectl -n ${SYSTEM_NAMESPACE} create secret generic ${SIGNING_KEY_SECRET} --from-file=private-key.pem=.custody/keys/${inputs.activeKeyId}.key.pem`,
      '```',
      '',
      `Optional: ${code('custody-git-credentials')} (key ${code('token')}) for a private repository, ${code('custody-webhook')} (key ${code('token')}) for push webhooks.`,
      '',
    );
  }
  if (s.fluxServiceAccount || s.fluxDependsOn?.length) {
    lines.push(`## ${step++}. Flux`, '');
    if (s.fluxServiceAccount)
      lines.push(
        `- ServiceAccount ${code(s.fluxServiceAccount)} in ${code(FLUX_NAMESPACE)}, allowed to manage the Namespace and the objects of this tree (Flux impersonates it).`,
      );
    if (s.fluxDependsOn?.length) lines.push(`- Kustomizations in ${code(FLUX_NAMESPACE)} this tree waits for: ${s.fluxDependsOn.map(code).join(', ')}.`);
    lines.push('');
  }
  lines.push(
    `## ${step++}. Repository access`,
    '',
    `Argo CD or Flux in this cluster reads ${code(s.repository)}, branch ${code(s.branch)}, path ${code(clusterPath(cluster.name))} only.`,
    'If the repository is private, give the reconciler read-only access to it (an Argo CD repository Secret, or a Flux',
    `${code('secretRef')} on the ${code('GitRepository')}): nothing here needs to write to it.`,
    '',
    `## ${step++}. Apply`,
    '',
    'Once the steps above are done, one command hands the tree to the reconciler, which keeps it in sync from then on:',
    '',
    '```sh',
    `kubectl apply -k generated/argocd/${cluster.name}   # with Argo CD`,
    `kubectl apply -k generated/flux/${cluster.name}     # or with Flux`,
    '```',
    '',
  );
  // What the workflows' owners need from this organisation, and what is already in the repository.
  const issuer = clusterIssuer(cluster, inputs.jwks);
  const root = inputs.roots.get(cluster.name);
  const have = (ok: boolean, text: string) => `- [${ok ? 'x' : ' '}] ${text}`;
  lines.push(
    `## ${step}. What to send back to the owner`,
    '',
    "For the bundle server and the peer clusters, through a pull request to the owner's repository (public material only):",
    '',
    have(
      s.tokenIssuer !== undefined,
      `the issuer of this cluster's ServiceAccount tokens as ${code('tokenIssuer')} of the cluster in the spec (${code('kubectl get --raw /.well-known/openid-configuration')} shows it)${s.tokenIssuer ? `: ${code(s.tokenIssuer)}` : ''}`,
    ),
    have(
      issuer !== undefined,
      `its key set: ${code('tokenJwksUrl')}, or ${code(`kubectl get --raw /openid/v1/jwks > keys/jwks/${cluster.name}.json`)} committed; without issuer and keys the bundle server refuses this cluster's sidecars and its agents never become Ready`,
    ),
    have(
      root !== undefined,
      `the public root certificate of this mesh as ${code(`${ROOTS_DIR}/${cluster.name}.pem`)} (never its private key)${root ? `: SHA-256 ${code(root.fingerprint)}` : ''}`,
    ),
  );
  if (receivesAcrossClusters(topo, cluster)) {
    const g = s.eastWestGateway;
    lines.push(
      have(
        g !== undefined,
        `other clusters send here: the address at which they reach this cluster's east-west gateway (labelled ${code('istio: eastwestgateway')} and ${code(`topology.istio.io/network: ${s.network}`)}, with ${code(`ISTIO_META_REQUESTED_NETWORK_VIEW: ${s.network}`)} and the passthrough port 15443; docs/gitops.md, "A two-organisation install") as ${code('eastWestGateway')} of the cluster in the spec${g ? `: ${code(`${g.kind === 'ipv6' ? `[${g.address}]` : g.address}:${g.port}`)}` : ''}`,
      ),
    );
  }
  lines.push('');
  return `${lines.join('\n')}`;
}

/** What the agents' images must allow, and the pull secrets the administrator creates. */
function imageSection(step: number, cluster: ClusterPlan): string[] {
  const lines = [
    `## ${step}. The agents' images`,
    '',
    `Every container runs as user and group ${RUN_AS} (non-root), on a read-only root filesystem (only ${code('/data')}, the`,
    `agent's own volume, and ${code('/tmp')} are writable), without capabilities or privilege escalation, under the`,
    '`RuntimeDefault` seccomp profile. The images must work that way; the service listens on its port in plain HTTP (the mesh adds mutual TLS).',
    '',
    '| workflow | agent | image | port | requests | limits | pull secrets |',
    '|---|---|---|---|---|---|---|',
  ];
  const list = (r: Readonly<Record<string, string | undefined>>) =>
    Object.entries(r)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const secrets: string[] = [];
  for (const p of cluster.placements)
    for (const a of p.agents) {
      const requests = { ...SERVICE_RESOURCES.requests, ...a.resources?.requests };
      const limits = { ...SERVICE_RESOURCES.limits, ...a.resources?.limits };
      lines.push(
        `| ${markdownText(p.workflow.name)} | ${markdownText(a.name)} | ${code(a.image)} | ${a.port} | ${list(requests)} | ${list(limits)} | ${a.imagePullSecrets?.map(code).join(', ') ?? 'none'} |`,
      );
      for (const s of a.imagePullSecrets ?? [])
        secrets.push(
          `kubectl -n ${p.workflow.name} create secret docker-registry ${s} --docker-server=<registry> --docker-username=<user> --docker-password=<token>`,
        );
    }
  if (cluster.placements.length === 0) lines.push('| | no agents here | | | | | |');
  lines.push('');
  if (secrets.length)
    lines.push(
      'The pull secrets are named, not rendered: create each in its namespace once Argo CD or Flux has created it.',
      '',
      '```sh',
      ...[...new Set(secrets)],
      '```',
      '',
    );
  return lines;
}
