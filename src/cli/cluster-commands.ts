/** Commands against a live cluster (through a kubeconfig context): doctor, drift, status --kube. */
import path from 'node:path';
import {
  clusterTree,
  connect,
  doctor,
  drift,
  kubeStatus,
  loadKubeConfig,
  renderDoctor,
  renderDrift,
  renderKubeStatus,
  wiringTree,
  type ClusterClient,
} from '../cluster/index.js';
import { KEYS_DIR } from '../contract/index.js';
import { readKeys } from '../keys/index.js';
import { parse, type Command } from './commands.js';
import { printDiagnostics, UsageError } from './errors.js';
import { assertRepositoryFolder, displayPath, EXIT, readInputs, repositoryRoot, workflowFiles, type Io } from './io.js';
import { SERVER_COMMANDS } from './server-commands.js';
import { checkInputs } from './workflows.js';

const CONTEXT_OPTIONS = { kubeconfig: { type: 'string' }, context: { type: 'string' }, cluster: { type: 'string' }, json: { type: 'boolean' } } as const;
const CONTEXT_HELP = `Options:
  --kubeconfig FILE  the kubeconfig (default: KUBECONFIG, then ~/.kube/config, as kubectl)
  --context CTX      the kubeconfig context (default: its current context)
  --cluster NAME     the cluster as the workflows name it (default: the context's name)
  --json             one JSON document on stdout
  -h, --help         this help`;

function clientFor(values: { kubeconfig?: string; context?: string }, io: Io): ClusterClient {
  return connect(
    loadKubeConfig({ ...(values.kubeconfig ? { file: path.resolve(io.cwd, values.kubeconfig) } : {}), ...(values.context ? { context: values.context } : {}) }),
  );
}

/**
 * The generated trees doctor and drift read, under the rule workflows/ and keys/ are read by: a
 * link in their place or on their way is refused before any cluster is asked (a resource inside
 * a tree that is a link or leaves it is refused as it is read, src/cluster/tree.ts).
 */
async function assertTrees(root: string, cluster: string, cwd: string): Promise<void> {
  for (const dir of [clusterTree(root, cluster), wiringTree(root, 'argocd', cluster)]) await assertRepositoryFolder(dir, cwd, root);
}

/** A cluster failure is printed in the one error format, with its kind's exit code. */
const doctorCommand: Command = {
  summary: 'check that a cluster is ready for its generated tree (CRDs, mesh, storage, keys, dry run)',
  help: `Usage: custody doctor [--context CTX] [--cluster NAME] [--json]

The preflight before a reconciler syncs a cluster: the Istio CRDs and Argo CD's or Flux's, the
ext_authz provider in the mesh configuration, the mesh's trust domain, each peer cluster's root
bound to that peer's trust domain (caCertificates) and the cluster's own root (cacerts), the
StorageClass (and its encryption, for known provisioners), the signing-key Secret where the bundle
server runs, the issuer-discovery ClusterRoleBinding where it reads its own cluster's token keys,
the Argo CD destination cluster, and a server-side dry run of the cluster's tree.
Each check prints pass, fail (with the fix) or skip.

${CONTEXT_HELP}

Exit codes: 0 every check passes, 1 a check failed, 2 usage error, 3 the cluster cannot be reached.
`,
  async run(args, io) {
    const { values } = parse(args, CONTEXT_OPTIONS);
    if (values.help) {
      io.stdout.write(this.help);
      return EXIT.ok;
    }
    const root = repositoryRoot(io.cwd);
    const checked = checkInputs(await readInputs(await workflowFiles(path.join(root, 'workflows'), io.cwd), io.cwd));
    if (checked.errors > 0) {
      printDiagnostics(io.stderr, 'doctor', checked.diagnostics);
      return EXIT.invalid;
    }
    // keys/ as check and generate read it: a link in its place (or on its way) is refused, never
    // followed, before any cluster is asked.
    const keysDir = path.join(root, KEYS_DIR);
    await assertRepositoryFolder(keysDir, io.cwd, root);
    const keys = await readKeys(keysDir, displayPath(keysDir, io.cwd));
    const client = clientFor(values, io);
    const cluster = values.cluster ?? client.context;
    await assertTrees(root, cluster, io.cwd);
    const report = await doctor(client, root, checked.workflows, cluster, keys);
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderDoctor(report));
    return report.ok ? EXIT.ok : EXIT.invalid;
  },
};

const driftCommand: Command = {
  summary: "compare a cluster's live access objects with Git, in access terms",
  help: `Usage: custody drift [--context CTX] [--cluster NAME] [--json]

Reads the live Istio AuthorizationPolicies, PeerAuthentications and Sidecars, the NetworkPolicies
and each agent's OPA configuration in the namespaces of the cluster's generated tree, and says
what each difference allows: "hdr could now receive from X", mTLS no longer STRICT, a deny-all
removed, egress opened. Differences that only take access away are listed as narrower.

${CONTEXT_HELP}

Exit codes: 0 nothing widens access, 1 a live object allows more than Git, 2 usage error,
3 the cluster cannot be reached.
`,
  async run(args, io) {
    const { values } = parse(args, CONTEXT_OPTIONS);
    if (values.help) {
      io.stdout.write(this.help);
      return EXIT.ok;
    }
    const client = clientFor(values, io);
    const root = repositoryRoot(io.cwd);
    const cluster = values.cluster ?? client.context;
    await assertTrees(root, cluster, io.cwd);
    const report = await drift(client, root, cluster);
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderDrift(report));
    return report.widening ? EXIT.invalid : EXIT.ok;
  },
};

const serverStatus = SERVER_COMMANDS.status!;

/** `status` is the bundle server's view; with --kube it is joined with the live cluster. */
const statusCommand: Command = {
  summary: `${serverStatus.summary} (--kube: joined with the live cluster)`,
  help: `${serverStatus.help}
With --kube: custody status --kube [--context CTX] [--cluster NAME] [--server URL --token-file FILE] [--json]

One row per agent of the cluster: its Deployment and pods ready, the OPA container ready, the
Argo CD Application's sync status, revision and health or the Flux Kustomization's Ready condition
and applied revision, and the policy revision the bundle server serves and the sidecars report.
Exit codes with --kube: 0 every agent runs what Git says, 1 an agent is not ready or out of sync.
`,
  async run(args, io) {
    if (!args.includes('--kube')) return serverStatus.run(args, io);
    const { values } = parse(
      args.filter((a) => a !== '--kube'),
      { ...CONTEXT_OPTIONS, server: { type: 'string' }, 'token-file': { type: 'string' } },
    );
    if (values.help) {
      io.stdout.write(this.help);
      return EXIT.ok;
    }
    if ((values.server === undefined) !== (values['token-file'] === undefined)) throw new UsageError('--server and --token-file go together');
    const client = clientFor(values, io);
    const root = repositoryRoot(io.cwd);
    const checked = checkInputs(await readInputs(await workflowFiles(path.join(root, 'workflows'), io.cwd), io.cwd));
    const report = await kubeStatus(
      client,
      checked.workflows,
      values.cluster ?? client.context,
      values.server ? { url: values.server, tokenFile: path.resolve(io.cwd, values['token-file']!) } : undefined,
    );
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderKubeStatus(report));
    return report.ok ? EXIT.ok : EXIT.invalid;
  },
};

export const CLUSTER_COMMANDS: Readonly<Record<string, Command>> = { doctor: doctorCommand, drift: driftCommand, status: statusCommand };
