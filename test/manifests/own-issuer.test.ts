/**
 * The owner's own cluster as token issuer: a `tokenJwksUrl` at the in-cluster API server makes the
 * bundle server fetch it with its ServiceAccount's projected token and the cluster CA, bound to
 * the discovery role only, with egress to the API server's address and port; another cluster's
 * URL, or none, adds none of it.
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

const SPEC = (lab: string) => `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata: { name: wiring }
spec:
  owner: lab
  actors:
    lab:
      cluster: { name: lab-main, trustDomain: lab.example${lab} }
      agents:
        a: { image: registry.example/a:1.0 }
        b: { image: registry.example/b:1.0 }
  flows:
    - { from: a, to: b, methods: [GET], path: /x }
`;

/* eslint-disable @typescript-eslint/no-explicit-any */
function render(lab: string): Map<string, any> {
  const r = loadOne(SPEC(lab));
  assert.equal(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return new Map([...renderManifests(r.workflows, INPUTS).files].filter(([k]) => k.endsWith('.yaml')).map(([k, v]) => [k, parse(v)]));
}
const SYSTEM = 'clusters/lab-main/custody-system';

test('an in-cluster tokenJwksUrl: binding, projected token and CA, configuration, Sidecar and NetworkPolicy egress', () => {
  const files = render(
    ', tokenIssuer: "https://kubernetes.default.svc", tokenJwksUrl: "https://kubernetes.default.svc/openid/v1/jwks", apiServerPort: 443, apiServerCidr: 10.0.0.1/32',
  );
  const binding = files.get(`${SYSTEM}/clusterrolebinding-issuer-discovery.yaml`);
  assert.equal(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:service-account-issuer-discovery' });
  assert.equal(binding.subjects, [{ kind: 'ServiceAccount', name: 'custody-bundle-server', namespace: 'custody-system' }]);
  assert.ok(files.get(`${SYSTEM}/kustomization.yaml`).resources.includes('clusterrolebinding-issuer-discovery.yaml'));

  const config = parse(files.get(`${SYSTEM}/configmap.yaml`).data['config.yaml']);
  assert.equal(config.clusters, [
    {
      cluster: 'lab-main',
      issuer: 'https://kubernetes.default.svc',
      jwksUrl: 'https://kubernetes.default.svc/openid/v1/jwks',
      jwksTokenFile: '/var/run/secrets/custody/jwks/token',
      jwksCaFile: '/var/run/secrets/custody/jwks/ca.crt',
    },
  ]);
  const pod = files.get(`${SYSTEM}/deployment.yaml`).spec.template.spec;
  assert.equal(
    pod.volumes.find((v: any) => v.name === 'jwks-credentials'),
    {
      name: 'jwks-credentials',
      projected: {
        defaultMode: 0o440,
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 600 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        ],
      },
    },
  );
  assert.equal(pod.containers[0].volumeMounts.at(-1), { name: 'jwks-credentials', mountPath: '/var/run/secrets/custody/jwks', readOnly: true });
  assert.equal(files.get(`${SYSTEM}/sidecar-default.yaml`).spec.egress, [{ hosts: ['./*', 'default/kubernetes.default.svc.cluster.local'] }]);
  const egress = files.get(`${SYSTEM}/networkpolicy-allow-mesh-and-repository.yaml`).spec.egress;
  assert.equal(egress.at(-1), { to: [{ ipBlock: { cidr: '10.0.0.1/32' } }], ports: [{ protocol: 'TCP', port: 443 }] });
  // No ServiceEntry for the in-cluster name: it is a Service of the cluster, not an outside host.
  assert.equal(
    [...files.keys()].filter((k) => k.includes('serviceentry-kubernetes')),
    [],
  );
  assert.ok(
    files.get('argocd/lab-main/appproject-custody-system.yaml').spec.clusterResourceWhitelist.some((k: any) => k.kind === 'ClusterRoleBinding'),
    'Argo CD may sync the binding',
  );
});

test('the defaults are the API server port 6443 from any address; an outside key-set URL adds none of it', () => {
  const files = render(', tokenIssuer: "https://kubernetes.default.svc", tokenJwksUrl: "https://kubernetes.default.svc/openid/v1/jwks"');
  const egress = files.get(`${SYSTEM}/networkpolicy-allow-mesh-and-repository.yaml`).spec.egress;
  assert.equal(egress.at(-1), { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 6443 }] });

  const outside = render(', tokenIssuer: "https://issuer.lab.example", tokenJwksUrl: "https://issuer.lab.example/jwks"');
  assert.is(outside.get(`${SYSTEM}/clusterrolebinding-issuer-discovery.yaml`), undefined);
  assert.equal(parse(outside.get(`${SYSTEM}/configmap.yaml`).data['config.yaml']).clusters, [
    { cluster: 'lab-main', issuer: 'https://issuer.lab.example', jwksUrl: 'https://issuer.lab.example/jwks' },
  ]);
  assert.is(
    outside.get(`${SYSTEM}/deployment.yaml`).spec.template.spec.volumes.some((v: any) => v.name === 'jwks-credentials'),
    false,
  );
  assert.equal(outside.get('argocd/lab-main/appproject-custody-system.yaml').spec.clusterResourceWhitelist, [{ group: '', kind: 'Namespace' }]);
});

test.run();
