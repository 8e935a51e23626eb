/**
 * The reconciler wiring as a per-cluster install needs it: Argo CD's destination is the cluster
 * it runs in (`in-cluster`) unless the spec names another, each cluster's projects name only that
 * cluster, and Flux impersonates a ServiceAccount and waits for other Kustomizations when told to.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { renderManifests } from '../../src/manifests/index.js';
import { loadOne } from '../helpers/workflows.js';

const INPUTS = {
  keys: [{ id: 'k1', algorithm: 'RS256', publicKeyPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }],
  activeKeyId: 'k1',
  version: '0.0.0',
};

const SPEC = (lab: string, partner: string) => `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata: { name: wiring }
spec:
  owner: lab
  actors:
    lab:
      cluster: { name: lab-main, trustDomain: lab.example${lab} }
      agents:
        a: { image: registry.example/a:1.0 }
    partner:
      cluster: { name: partner-main, trustDomain: partner.example${partner} }
      agents:
        b: { image: registry.example/b:1.0 }
  flows:
    - { from: a, to: b, methods: [GET], path: /x }
`;

/* eslint-disable @typescript-eslint/no-explicit-any */
function render(lab: string, partner: string): (file: string) => any {
  const r = loadOne(SPEC(lab, partner));
  assert.equal(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const files = renderManifests(r.workflows, INPUTS).files;
  return (file) => {
    const text = files.get(file);
    if (text === undefined) throw new Error(`no ${file}`);
    return parse(text);
  };
}

test("by default Argo CD deploys to in-cluster, and each cluster's projects name only that cluster", () => {
  const at = render('', '');
  assert.equal(at('argocd/lab-main/application-wiring.yaml').spec.destination, { name: 'in-cluster', namespace: 'wiring' });
  assert.equal(at('argocd/lab-main/application-custody-system.yaml').spec.destination, { name: 'in-cluster', namespace: 'custody-system' });
  assert.equal(at('argocd/partner-main/appproject-wiring.yaml').spec.destinations, [{ name: 'in-cluster', namespace: 'wiring' }]);
  assert.equal(at('argocd/lab-main/appproject-custody-system.yaml').spec.destinations, [{ name: 'in-cluster', namespace: 'custody-system' }]);
  // The Application still cleans up after itself, except what is retained.
  assert.equal(at('argocd/lab-main/application-wiring.yaml').metadata.finalizers, ['resources-finalizer.argocd.argoproj.io/foreground']);
  const flux = at('flux/partner-main/flux-kustomization.yaml').spec;
  assert.is(flux.serviceAccountName, undefined);
  assert.is(flux.dependsOn, undefined);
});

test("the destination name and Flux's ServiceAccount and dependencies are settings of the cluster", () => {
  const at = render(', argocdDestination: lab-prod', ', fluxServiceAccount: custody-reconciler, fluxDependsOn: [istio, storage-classes]');
  assert.equal(at('argocd/lab-main/application-wiring.yaml').spec.destination, { name: 'lab-prod', namespace: 'wiring' });
  assert.equal(at('argocd/lab-main/appproject-wiring.yaml').spec.destinations, [{ name: 'lab-prod', namespace: 'wiring' }]);
  assert.equal(at('argocd/partner-main/application-wiring.yaml').spec.destination, { name: 'in-cluster', namespace: 'wiring' });
  const flux = at('flux/partner-main/flux-kustomization.yaml').spec;
  assert.is(flux.serviceAccountName, 'custody-reconciler');
  assert.equal(flux.dependsOn, [{ name: 'istio' }, { name: 'storage-classes' }]);
  assert.is(at('flux/lab-main/flux-kustomization.yaml').spec.serviceAccountName, undefined);
});

test('a list setting given twice for one cluster must be the same list', () => {
  const two = `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata: { name: twice }
spec:
  owner: lab
  actors:
    lab:
      cluster: { name: shared, fluxDependsOn: [istio] }
      agents:
        a: { image: registry.example/a:1.0 }
    partner:
      cluster: { name: shared, fluxDependsOn: [istio, storage] }
      agents:
        b: { image: registry.example/b:1.0 }
  flows:
    - { from: a, to: b, methods: [GET], path: /x }
`;
  const errors = loadOne(two).diagnostics.filter((d) => d.severity === 'error');
  assert.equal(
    errors.map((d) => [d.code, d.field]),
    [['cluster-conflict', 'spec.actors.partner.cluster.fluxDependsOn']],
  );
  const same = loadOne(two.replace('[istio, storage]', '[istio]')).diagnostics.filter((d) => d.severity === 'error');
  assert.equal(same, []);
});

test.run();
