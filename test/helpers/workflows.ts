import { readdirSync, readFileSync } from 'node:fs';
import { loadWorkflows, type Workflow } from '../../src/workflow/index.js';
import { repoPath } from './paths.js';

/** The example workflows committed under workflows/, checked. */
export function exampleWorkflows(): Workflow[] {
  const files = readdirSync(repoPath('workflows'))
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  const r = loadWorkflows(files.map((f) => ({ file: `workflows/${f}`, text: readFileSync(repoPath('workflows', f), 'utf8') })));
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`examples do not check: ${JSON.stringify(errors)}`);
  return [...r.workflows];
}

export function loadOne(text: string, file = 'test.yaml') {
  return loadWorkflows([{ file, text }]);
}

/** One side of {@link bankAuditSpec}: its cluster's name, and what follows the trust domain inside its braces (`, key: value`). */
export interface AuditSide {
  readonly cluster: string;
  readonly settings?: string;
}

/**
 * A workflow owned by bank, whose `<name>-ledger` runs in the owner's cluster and `<name>-review`
 * in the auditor's, with one flow between them: the two-organisation spec the checks of
 * deployment-wide settings are tried on. `spec` holds lines placed before the actors.
 */
export function bankAuditSpec(o: { name: string; owner: AuditSide; auditor: AuditSide; spec?: string }): string {
  const cluster = (s: AuditSide) => `{ name: ${s.cluster}, trustDomain: mesh.${s.cluster}.example${s.settings ?? ''} }`;
  return `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata:
  name: ${o.name}
spec:
  owner: bank
${o.spec ?? ''}  actors:
    bank:
      cluster: ${cluster(o.owner)}
      agents:
        ${o.name}-ledger: { image: registry.example/ledger:1.0 }
    auditor:
      cluster: ${cluster(o.auditor)}
      agents:
        ${o.name}-review: { image: registry.example/review:1.0 }
  flows:
    - { from: ${o.name}-review, to: ${o.name}-ledger, methods: [GET], path: /api/evidence }
`;
}
