/**
 * A workflow that takes the other branches of the renderer: no Istio CNI, a bundle server outside
 * the mesh, token issuers, a StorageClass, repositories of their own (https on another port where the
 * bundle server runs, ssh in a contractor's cluster), an API server or a destination name for Argo
 * CD, Flux's ServiceAccount and dependencies, an east-west gateway on one side only, two actors on
 * one cluster (flows inside a cluster) and flows across clusters. It passes every check.
 */
export const VARIANT = `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata:
  name: variant
spec:
  owner: lab
  trustDomain: mesh.variant.example
  actors:
    lab:
      cluster:
        name: lab-main
        storageClass: gp3-encrypted
        istioCni: false
        repository: "https://git.variant.example:8443/lab/custody.git"
        branch: release
        server: "https://lab-main.k8s.variant.example"
        tokenIssuer: "https://issuer.lab.variant.example"
        tokenJwksUrl: "https://issuer.lab.variant.example/openid/v1/jwks"
      agents:
        intake: { image: registry.variant.example/intake:1.0, port: 9000 }
        vault: { image: registry.variant.example/vault:1.0, storage: 5Gi }
    partner:
      cluster: { name: lab-main }
      agents:
        reviewer: { image: registry.variant.example/reviewer:2.1 }
    remote:
      cluster:
        name: remote-east
        repository: "ssh://git@git.variant.example/lab/custody.git"
        bundleServer: "https://bundles.variant.example"
        tokenIssuer: "https://issuer.remote.variant.example"
        tokenJwksUrl: "https://keys.remote.variant.example/jwks.json"
        argocdDestination: remote-east-prod
        fluxServiceAccount: custody-reconciler
        fluxDependsOn: [istio, storage-classes]
        eastWestGateway: { address: eastwest.remote.variant.example, port: 443, network: east }
      agents:
        cruncher: { image: registry.variant.example/cruncher:3.0 }
  flows:
    - { from: intake, to: vault, methods: [PUT], path: /objects/* }
    - { from: vault, to: reviewer, methods: [POST], path: /review }
    - { from: vault, to: reviewer, methods: [GET], path: /status/* }
    - { from: reviewer, to: cruncher, methods: [POST], path: /jobs }
    - { from: cruncher, to: intake, methods: [POST], path: /* }
`;
