/**
 * Every object Custody renders validates against the real schemas: Kubernetes (kubernetes-models),
 * Istio, Argo CD and Flux (@kubernetes-models/*). No object is of a kind the tests cannot validate.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkInputs } from '../../src/cli/workflows.js';
import { exampleWorkflows, loadOne } from '../helpers/workflows.js';
import { exampleInputs, renderedObjects, validateObject, VALIDATED_KINDS } from './helpers.js';
import { VARIANT } from './variant.js';

test('every object of the example trees validates against its schema', async () => {
  const inputs = await exampleInputs();
  const objects = renderedObjects(exampleWorkflows(), inputs);
  assert.ok(objects.length > 200);
  const kinds = new Set<string>();
  for (const [file, o] of objects) {
    kinds.add(`${o.apiVersion}/${o.kind}`);
    try {
      validateObject(o);
    } catch (err) {
      assert.unreachable(`${file}: ${(err as Error).message}`);
    }
  }
  assert.equal([...kinds].sort(), [...VALIDATED_KINDS].sort(), 'every kind rendered, and only kinds with a schema');
});

test('the variants (no Istio CNI, an external bundle server, token issuers, settings) validate too', async () => {
  const r = loadOne(VARIANT);
  // With the deployment-wide checks too (a repository the bundle server can fetch, issuers of their own, ...).
  const checked = checkInputs([{ file: 'variant.yaml', text: VARIANT }], undefined, undefined, {});
  assert.equal(
    checked.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  for (const [file, o] of renderedObjects(r.workflows, await exampleInputs())) {
    try {
      validateObject(o);
    } catch (err) {
      assert.unreachable(`${file}: ${(err as Error).message}`);
    }
  }
});

test('the validators are live: broken objects are rejected', () => {
  const bad: [string, Record<string, unknown>][] = [
    ['a Deployment without containers', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { selector: {}, template: { spec: {} } } }],
    [
      'a PeerAuthentication with an unknown mode',
      { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'x' }, spec: { mtls: { mode: 'STRICTLY' } } },
    ],
    [
      'a Sidecar with an unknown traffic policy',
      { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'x' }, spec: { outboundTrafficPolicy: { mode: 'REGISTRY' } } },
    ],
    [
      'an AuthorizationPolicy with an unknown action',
      { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'x' }, spec: { action: 'PERMIT' } },
    ],
    [
      'a Flux Kustomization without prune',
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'x' },
        spec: { interval: '1m', sourceRef: { kind: 'GitRepository', name: 'x' } },
      },
    ],
    [
      'an Application without a destination',
      { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'x' }, spec: { project: 'x', source: { repoURL: 'x' } } },
    ],
    [
      'a NetworkPolicy with a port of the wrong type',
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'x' }, spec: { podSelector: {}, ingress: [{ ports: [{ port: true }] }] } },
    ],
    ['a kind without a schema', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }],
  ];
  for (const [what, o] of bad) assert.throws(() => validateObject(o as never), undefined, what);
});

test.run();
