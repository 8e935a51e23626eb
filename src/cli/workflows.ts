/** Loading and checking workflows for a command: validation, then the reviewer's warnings. */
import { SERVER_ENV } from '../contract/index.js';
import { quotable } from '../core/url.js';
import { missingEastWestGateways, missingPeerRoots, missingSidecarAuth, names, serverRepositoryGaps, topology, type Topology } from '../manifests/index.js';
import { analyseWorkflow } from '../policy/index.js';
import { cmp } from '../core/order.js';
import { isExampleKey } from '../keys/index.js';
import {
  CLUSTER_DEFAULTS,
  compareDiagnostics,
  DiagnosticCodes,
  fieldName,
  givenSetting,
  loadWorkflows,
  settingGiver,
  type Diagnostic,
  type InputFile,
  type SourceFile,
  type Workflow,
} from '../workflow/index.js';

export interface Checked {
  readonly workflows: readonly Workflow[];
  readonly diagnostics: readonly Diagnostic[];
  readonly errors: number;
  readonly warnings: number;
}

/** What `check` and `generate` know about the deployment besides the specs, read at the edge. */
export interface DeploymentFacts {
  /** The clone's origin as the trees would name it (https or ssh); absent: none that counts. */
  readonly repository?: string;
  /** The active signing key and its file as shown to the user, when keys/ could be read. */
  readonly activeKey?: { readonly id: string; readonly publicKeyPem: string; readonly file: string };
}

/**
 * `roots`: the clusters whose mesh root is committed under keys/roots/; `jwks`: those whose token
 * key set is committed under keys/jwks/; `deployment`: the repository and key the trees would use
 * (each absent: not checked).
 */
export function checkInputs(inputs: readonly InputFile[], roots?: ReadonlySet<string>, jwks?: ReadonlySet<string>, deployment?: DeploymentFacts): Checked {
  const result = loadWorkflows(inputs);
  const diagnostics = [...result.diagnostics];
  if (deployment) diagnostics.push(...deploymentWarnings(result.workflows, result.sources, deployment));
  // One plan of the clusters for every check below, with the repository the trees would name.
  const topo = topology(result.workflows, deployment?.repository ? { repository: deployment.repository } : {});
  const byName = new Map(result.workflows.map((w) => [w.name, w]));
  if (roots && result.workflows.length) {
    for (const gap of missingPeerRoots(topo, roots)) {
      const workflow = byName.get(gap.workflow)!;
      const actor = workflow.actors.find((a) => a.cluster.name === gap.cluster)!;
      const at = ['spec', 'actors', actor.name, 'cluster', 'name'];
      const pos = result.sources.get(workflow.file)?.position(at) ?? { line: 1, column: 1 };
      diagnostics.push({
        severity: 'warning',
        code: DiagnosticCodes.missingPeerRoot,
        file: workflow.file,
        line: pos.line,
        column: pos.column,
        field: fieldName(at),
        message: `no root certificate for cluster "${gap.cluster}" (keys/roots/${gap.cluster}.pem): ${gap.trustedBy.map((c) => `"${c}"`).join(', ')} cannot verify its agents' certificates, so requests between them fail until its organisation publishes the root`,
        hint: `commit the public root certificate of ${gap.cluster}'s mesh as keys/roots/${gap.cluster}.pem, then generate again`,
      });
    }
  }
  if (jwks && result.workflows.length) {
    for (const gap of missingSidecarAuth(topo, jwks)) {
      const workflow = byName.get(gap.workflow)!;
      const actor = workflow.actors.find((a) => a.cluster.name === gap.cluster)!;
      const at = ['spec', 'actors', actor.name, 'cluster', gap.missing === 'issuer' ? 'name' : 'tokenIssuer'];
      const pos = result.sources.get(workflow.file)?.position(at) ?? { line: 1, column: 1 };
      diagnostics.push({
        severity: 'warning',
        code: DiagnosticCodes.noSidecarAuth,
        file: workflow.file,
        line: pos.line,
        column: pos.column,
        field: fieldName(at),
        message: `the bundle server cannot authenticate the sidecars of cluster "${gap.cluster}" (${gap.missing === 'issuer' ? 'no tokenIssuer' : 'tokenIssuer but no key set'}): it will refuse them, their OPA never gets a bundle, and the agents there never become Ready`,
        hint:
          gap.missing === 'issuer'
            ? `ask ${gap.cluster}'s organisation for its ServiceAccount token issuer and keys: add tokenIssuer with tokenJwksUrl to its cluster, or tokenIssuer and commit its key set as keys/jwks/${gap.cluster}.json`
            : `add tokenJwksUrl to the cluster, or commit the issuer's key set (its /openid/v1/jwks) as keys/jwks/${gap.cluster}.json`,
      });
    }
  }
  diagnostics.push(...sharedIssuerErrors(result.workflows, result.sources));
  if (result.workflows.length) {
    diagnostics.push(...serverRepositoryErrors(topo, result.workflows, result.sources));
    for (const gap of missingEastWestGateways(topo, result.workflows)) {
      const actor = gap.workflow.actors.find((a) => a.cluster.name === gap.cluster)!;
      const at = ['spec', 'actors', actor.name, 'cluster', 'name'];
      const pos = result.sources.get(gap.workflow.file)?.position(at) ?? { line: 1, column: 1 };
      const flows = gap.flows.map((f) => `${f.from} -> ${f.to} (spec.flows[${f.index}])`).join(', ');
      const fetchers = gap.fetchers.map((c) => `"${c}"`).join(', ');
      const lost = [
        ...(flows ? [`${flows} cannot be routed`] : []),
        ...(fetchers ? [`the sidecars of ${fetchers} fetch their bundles from its server through the mesh and never get one`] : []),
      ];
      diagnostics.push({
        severity: 'warning',
        code: DiagnosticCodes.noEastWestGateway,
        file: gap.workflow.file,
        line: pos.line,
        column: pos.column,
        field: fieldName(at),
        message: `cluster "${gap.cluster}" has no east-west gateway address, so requests from other clusters cannot reach it: ${lost.join('; ')}`,
        hint:
          `ask ${gap.cluster}'s organisation for the address and port at which other clusters reach its east-west gateway, and add eastWestGateway: { address: <IP or DNS name>, port: 15443 } to its cluster` +
          (fetchers ? ` (or set bundleServer of ${fetchers} to a URL the owner publishes for its bundle server)` : ''),
      });
    }
  }
  for (const workflow of result.workflows) {
    const source = result.sources.get(workflow.file);
    for (const f of analyseWorkflow(workflow)) {
      const pos = source?.position(f.path, true) ?? { line: 1, column: 1 };
      diagnostics.push({
        severity: 'warning',
        code: f.code,
        file: workflow.file,
        line: pos.line,
        column: pos.column,
        field: fieldName(f.path),
        message: f.message,
        ...(f.hint ? { hint: f.hint } : {}),
      });
    }
  }
  diagnostics.sort(compareDiagnostics);
  return {
    workflows: result.workflows,
    diagnostics,
    errors: diagnostics.filter((d) => d.severity === 'error').length,
    warnings: diagnostics.filter((d) => d.severity === 'warning').length,
  };
}

export { plural } from '../core/text.js';

type Sources = ReadonlyMap<string, { position(at: (string | number)[], key?: boolean): { line: number; column: number } }>;

/**
 * Two clusters, in any workflows, giving one tokenIssuer. The bundle server tells clusters'
 * ServiceAccount tokens apart by their issuer alone (src/server/config.ts refuses such a
 * configuration at start), so the deployment would not come up, and were it to, either cluster's
 * tokens would be taken for the other's. An error, reported at the later place in reading order
 * (file, then position), once per pair of clusters.
 */
function sharedIssuerErrors(workflows: readonly Workflow[], sources: Sources): Diagnostic[] {
  const places = workflows.flatMap((w) =>
    w.actors.flatMap((a) => {
      if (a.cluster.tokenIssuer === undefined) return [];
      const at = ['spec', 'actors', a.name, 'cluster', 'tokenIssuer'];
      const pos = sources.get(w.file)?.position(at) ?? { line: 1, column: 1 };
      return [{ issuer: a.cluster.tokenIssuer, cluster: a.cluster.name, actor: a.name, file: w.file, at, ...pos }];
    }),
  );
  places.sort((x, y) => cmp(x.file, y.file) || x.line - y.line || x.column - y.column);
  const first = new Map<string, (typeof places)[number]>();
  const reported = new Set<string>();
  const out: Diagnostic[] = [];
  for (const p of places) {
    const prior = first.get(p.issuer);
    if (!prior) first.set(p.issuer, p);
    if (!prior || prior.cluster === p.cluster || reported.has(`${prior.cluster}\n${p.cluster}`)) continue;
    reported.add(`${prior.cluster}\n${p.cluster}`);
    out.push({
      severity: 'error',
      code: DiagnosticCodes.sharedTokenIssuer,
      file: p.file,
      line: p.line,
      column: p.column,
      field: fieldName(p.at),
      message: `clusters "${prior.cluster}" (actor "${prior.actor}", ${prior.file}) and "${p.cluster}" (actor "${p.actor}", ${p.file}) have the same tokenIssuer ${p.issuer}: the bundle server tells clusters' ServiceAccount tokens apart by their issuer, so one that serves both refuses to start, and a token of either cluster would be taken for the other's`,
      hint: "each cluster's API server needs an issuer of its own: set its --service-account-issuer to a URL of its own (kubeadm gives every cluster the same default) and tokenIssuer of the cluster in the spec to match",
    });
  }
  return out;
}

/**
 * The cluster that runs a workflow's bundle server (its owner's) with an ssh:// repository, which
 * the server cannot fetch: it would refuse its configuration at start and the deployment would
 * never come up (serverRepositoryGaps). Reported where the user edits: at every place that gives
 * the URL, a cluster's own repository or the spec.repository it inherits (a cluster's repository
 * must agree wherever it is given, so each must change), or, when it is the clone's origin, at
 * spec.repository of the first workflow the server serves.
 */
function serverRepositoryErrors(topo: Topology, workflows: readonly Workflow[], sources: ReadonlyMap<string, SourceFile>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const gap of serverRepositoryGaps(topo)) {
    const repository = gap.settings.repository;
    const owners = gap.served.map((w) => `"${w.name}"`).join(', ');
    const parsed = new URL(repository);
    const https = `https://${parsed.hostname}${parsed.pathname}`;
    const token = `for a private repository the server reads a token from ${SERVER_ENV.gitToken}, which the generated Deployment takes from the Secret ${names.GIT_CREDENTIALS_SECRET} (key token, see docs/gitops.md)`;
    const places = new Map<string, { workflow: Workflow; at: (string | number)[]; source: string; hint: string }>();
    for (const workflow of [...workflows].sort((a, b) => cmp(a.name, b.name))) {
      for (const actor of workflow.actors) {
        if (actor.cluster.name !== gap.name || actor.cluster.repository !== repository) continue;
        // Every place that gives the URL: the actor's own, else the actor that gives it the cluster's, else spec.repository.
        const raw = sources.get(workflow.file)?.value;
        const giver = givenSetting(raw, actor.name, 'repository') !== undefined ? actor.name : settingGiver(raw, gap.name, 'repository');
        const own = giver !== undefined;
        const at = giver ? ['spec', 'actors', giver, 'cluster', 'repository'] : ['spec', 'repository'];
        places.set(`${workflow.file}\n${fieldName(at)}`, {
          workflow,
          at,
          source: own ? 'its repository here' : 'spec.repository, which it inherits',
          hint: own
            ? `give cluster "${gap.name}" the https:// URL of the repository here, e.g. ${https} (clusters that only run Argo CD or Flux may keep ssh://); ${token}`
            : `set spec.repository to the https:// URL of the repository, e.g. ${https}, or give cluster "${gap.name}" its own (${fieldName(['spec', 'actors', actor.name, 'cluster', 'repository'])}) and let the other clusters keep ssh://; ${token}`,
        });
      }
    }
    if (places.size === 0) {
      const workflow = gap.served[0]!;
      const owner = workflow.actors.find((a) => a.name === workflow.owner)!;
      places.set('origin', {
        workflow,
        at: ['spec', 'repository'],
        source: "the clone's origin remote, which it takes since no spec gives it a repository",
        hint: `set spec.repository (or ${fieldName(['spec', 'actors', owner.name, 'cluster', 'repository'])}) to the https:// URL of the repository, e.g. ${https}; ${token}`,
      });
    }
    for (const place of places.values()) {
      // From the origin, spec.repository is absent: the position falls back to spec, where it goes.
      const pos = sources.get(place.workflow.file)?.position(place.at) ?? { line: 1, column: 1 };
      out.push({
        severity: 'error',
        code: DiagnosticCodes.sshServerRepository,
        file: place.workflow.file,
        line: pos.line,
        column: pos.column,
        field: fieldName(place.at),
        message: `cluster "${gap.name}" runs the bundle server of ${gap.served.length === 1 ? 'workflow' : 'workflows'} ${owners} (the owner's cluster), and its repository, ${quotable(repository)} (${place.source}), is not https: the server fetches over https only and would refuse this configuration at start, so no sidecar would get a bundle and no agent would become Ready`,
        hint: place.hint,
      });
    }
  }
  return out;
}

/**
 * While a deployment would still run on the examples' stand-ins: clusters syncing Custody's own
 * repository (no repository in the spec, no https or ssh origin), and the example signing key.
 */
function deploymentWarnings(workflows: readonly Workflow[], sources: Sources, facts: DeploymentFacts): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (facts.repository === undefined) {
    // A cluster named in several workflows takes the repository any of them gives.
    const given = new Set(workflows.flatMap((w) => w.actors.filter((a) => a.cluster.repository !== undefined).map((a) => a.cluster.name)));
    for (const w of workflows) {
      const clusters = [...new Set(w.actors.map((a) => a.cluster.name).filter((c) => !given.has(c)))].sort();
      if (clusters.length === 0) continue;
      const at = ['spec', 'repository'];
      const pos = sources.get(w.file)?.position(at, true) ?? { line: 1, column: 1 };
      const host = new URL(CLUSTER_DEFAULTS.repository).hostname;
      out.push({
        severity: 'warning',
        code: DiagnosticCodes.defaultRepository,
        file: w.file,
        line: pos.line,
        column: pos.column,
        field: fieldName(at),
        message: `${clusters.length === 1 ? 'cluster' : 'clusters'} ${clusters.map((c) => `"${c}"`).join(', ')} would sync from ${CLUSTER_DEFAULTS.repository}, Custody's own examples, not your repository: it is the Argo CD repoURL and the Flux GitRepository of ${clusters.length === 1 ? 'its tree' : 'their trees'}, and in the owner's cluster the repository the bundle server reads (CUSTODY_REPOSITORY) and its egress to ${host}`,
        hint: `set spec.repository to the https:// or ssh:// URL of the repository holding this workflow (or run generate in a clone whose origin remote is that URL), then generate again`,
      });
    }
  }
  const key = facts.activeKey;
  if (key && isExampleKey(key.publicKeyPem)) {
    out.push({
      severity: 'warning',
      code: DiagnosticCodes.exampleSigningKey,
      file: key.file,
      line: 1,
      column: 1,
      field: '',
      message: `the active signing key "${key.id}" is the examples' key, whose private half was discarded: no bundle server can sign with it, so every sidecar would refuse its bundle and no agent would become Ready`,
      hint: `make your own: custody keygen --id <your-key-id> (the public key goes to keys/, the private key stays outside Git for the bundle server's Secret), delete ${key.file}, then generate again; see keys/README.md`,
    });
  }
  return out;
}
