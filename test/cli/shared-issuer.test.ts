/**
 * Two clusters with one ServiceAccount token issuer: the bundle server tells clusters' tokens
 * apart by their issuer and refuses such a configuration at start, so `check` reports it as an
 * error (at the second cluster's tokenIssuer, naming both clusters and files) and `generate`
 * writes nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkInputs } from '../../src/cli/workflows.js';
import { serverConfig, topology } from '../../src/manifests/index.js';
import { loadConfig } from '../../src/server/config.js';
import { formatDiagnostic } from '../../src/workflow/index.js';
import { custody } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixture-repository.js';
import { repoPath } from '../helpers/paths.js';
import { bankAuditSpec } from '../helpers/workflows.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** A workflow whose owner runs in `owner` and whose partner runs in `partner`, each cluster with the issuer given. */
function spec(name: string, owner: [string, string | undefined], partner: [string, string | undefined]): string {
  const side = ([cluster, issuer]: [string, string | undefined]) => ({
    cluster,
    settings: issuer ? `, tokenIssuer: "${issuer}", tokenJwksUrl: "${issuer}/openid/v1/jwks"` : '',
  });
  return bankAuditSpec({ name, owner: side(owner), auditor: side(partner) });
}

const errors = (inputs: { file: string; text: string }[]) => checkInputs(inputs).diagnostics.filter((d) => d.severity === 'error');

test('two clusters of one workflow with one issuer: an error at the second, naming both clusters', () => {
  const found = errors([{ file: 'workflows/audit.yaml', text: spec('audit', ['bank-core', ISSUER], ['audit-eu', ISSUER]) }]);
  assert.equal(found.map(formatDiagnostic), [
    'error[shared-token-issuer]: workflows/audit.yaml:13:83: spec.actors.auditor.cluster.tokenIssuer: clusters "bank-core" (actor "bank", workflows/audit.yaml) and "audit-eu" (actor "auditor", workflows/audit.yaml) have the same tokenIssuer https://kubernetes.default.svc.cluster.local: the bundle server tells clusters\' ServiceAccount tokens apart by their issuer, so one that serves both refuses to start, and a token of either cluster would be taken for the other\'s (each cluster\'s API server needs an issuer of its own: set its --service-account-issuer to a URL of its own (kubeadm gives every cluster the same default) and tokenIssuer of the cluster in the spec to match)',
  ]);
});

test('across workflow files: reported in the later file, naming the earlier one; one cluster named twice is no clash', () => {
  const a = { file: 'workflows/a.yaml', text: spec('a', ['bank-core', ISSUER], ['audit-eu', 'https://issuer.audit.example']) };
  const b = { file: 'workflows/b.yaml', text: spec('b', ['bank-core', ISSUER], ['lab-us', ISSUER]) };
  const found = errors([b, a]);
  assert.equal(
    found.map((d) => [d.code, d.file, d.line, d.field]),
    [['shared-token-issuer', 'workflows/b.yaml', 13, 'spec.actors.auditor.cluster.tokenIssuer']],
  );
  assert.match(
    found[0]!.message,
    'clusters "bank-core" (actor "bank", workflows/a.yaml) and "lab-us" (actor "auditor", workflows/b.yaml) have the same tokenIssuer',
  );
  // bank-core in both files is one cluster with one issuer; distinct issuers (or none) are fine.
  assert.equal(errors([a, { file: 'workflows/b.yaml', text: spec('b', ['bank-core', ISSUER], ['lab-us', 'https://issuer.lab.example']) }]), []);
  assert.equal(errors([{ file: 'workflows/c.yaml', text: spec('c', ['bank-core', undefined], ['lab-us', undefined]) }]), []);
});

test('the configuration check refuses is the one the bundle server refuses to start with', () => {
  const text = spec('audit', ['bank-core', ISSUER], ['audit-eu', ISSUER]);
  const workflows = checkInputs([{ file: 'workflows/audit.yaml', text }]).workflows;
  assert.is(workflows.length, 1, 'the workflow itself is valid: the clash is between its clusters');
  const topo = topology(workflows);
  const file = serverConfig({ cluster: topo.cluster('bank-core'), topology: topo, activeKeyId: 'k', version: '0.0.0', jwks: new Map() });
  assert.throws(
    () => loadConfig({ env: {}, cwd: tempDir('issuer'), overrides: { ...file, repository: '.', signingKeys: [{ id: 'k', file: 'k.pem' }] } }),
    /have the same issuer https:\/\/kubernetes\.default\.svc\.cluster\.local/,
  );
});

test('check exits 1 and generate writes nothing', async () => {
  const dir = tempDir('issuer');
  mkdirSync(path.join(dir, 'workflows'));
  cpSync(repoPath('keys'), path.join(dir, 'keys'), { recursive: true });
  writeFileSync(path.join(dir, 'workflows', 'a.yaml'), spec('a', ['bank-core', ISSUER], ['audit-eu', 'https://issuer.audit.example']));
  writeFileSync(path.join(dir, 'workflows', 'b.yaml'), spec('b', ['bank-core', ISSUER], ['lab-us', ISSUER]));
  for (const command of ['check', 'generate']) {
    const r = await custody([command], dir);
    assert.is(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      `custody ${command}: error[shared-token-issuer]: workflows/b.yaml:13:79: spec.actors.auditor.cluster.tokenIssuer: clusters "bank-core"`,
    );
  }
  assert.not.ok(existsSync(path.join(dir, 'generated')));
  assert.not.ok(existsSync(path.join(dir, 'bundles')));
  // The clash alone stopped it: with an issuer of its own for lab-us, the same folder generates.
  writeFileSync(path.join(dir, 'workflows', 'b.yaml'), spec('b', ['bank-core', ISSUER], ['lab-us', 'https://issuer.lab.example']));
  const fixed = await custody(['generate'], dir);
  assert.is(fixed.code, 0, fixed.stderr);
  assert.ok(existsSync(path.join(dir, 'generated', 'clusters', 'lab-us')));
});

test.run();
