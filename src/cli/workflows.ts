/** Loading and checking workflows for a command: validation, then the reviewer's warnings. */
import { missingEastWestGateways, missingPeerRoots, missingSidecarAuth, topology } from '../manifests/index.js';
import { analyseWorkflow } from '../policy/index.js';
import { compareDiagnostics, DiagnosticCodes, fieldName, loadWorkflows, type Diagnostic, type InputFile, type Workflow } from '../workflow/index.js';

export interface Checked {
  readonly workflows: readonly Workflow[];
  readonly diagnostics: readonly Diagnostic[];
  readonly errors: number;
  readonly warnings: number;
}

/**
 * `roots`: the clusters whose mesh root is committed under keys/roots/; `jwks`: those whose token
 * key set is committed under keys/jwks/ (each absent: not checked).
 */
export function checkInputs(inputs: readonly InputFile[], roots?: ReadonlySet<string>, jwks?: ReadonlySet<string>): Checked {
  const result = loadWorkflows(inputs);
  const diagnostics = [...result.diagnostics];
  if (roots && result.workflows.length) {
    const byName = new Map(result.workflows.map((w) => [w.name, w]));
    for (const gap of missingPeerRoots(topology(result.workflows), roots)) {
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
    const byName = new Map(result.workflows.map((w) => [w.name, w]));
    for (const gap of missingSidecarAuth(topology(result.workflows), jwks)) {
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
  if (result.workflows.length) {
    for (const gap of missingEastWestGateways(topology(result.workflows), result.workflows)) {
      const actor = gap.workflow.actors.find((a) => a.cluster.name === gap.cluster)!;
      const at = ['spec', 'actors', actor.name, 'cluster', 'name'];
      const pos = result.sources.get(gap.workflow.file)?.position(at) ?? { line: 1, column: 1 };
      const flows = gap.flows.map((f) => `${f.from} -> ${f.to} (spec.flows[${f.index}])`).join(', ');
      diagnostics.push({
        severity: 'warning',
        code: DiagnosticCodes.noEastWestGateway,
        file: gap.workflow.file,
        line: pos.line,
        column: pos.column,
        field: fieldName(at),
        message: `cluster "${gap.cluster}" has no east-west gateway address, so requests from other clusters cannot reach it: ${flows} cannot be routed`,
        hint: `ask ${gap.cluster}'s organisation for the address and port at which other clusters reach its east-west gateway, and add eastWestGateway: { address: <IP or DNS name>, port: 15443 } to its cluster`,
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
