import { loadWorkflows } from '../../src/workflow/index.js';

/**
 * The cross-organisation specs the east-west tests render (and the cluster tests apply): SPEC, four
 * clusters with flows inside one cluster and across clusters, one receiving cluster that published
 * no gateway, one that receives nothing; SECOND, a second workflow owned elsewhere.
 */
export const SPEC = `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata:
  name: ew
spec:
  owner: own
  actors:
    own:
      cluster: { name: one, trustDomain: mesh.one.example, eastWestGateway: { address: 203.0.113.1 } }
      agents:
        src: { image: registry.example/src:1.0 }
        local: { image: registry.example/local:1.0 }
    part:
      cluster: { name: two, trustDomain: mesh.two.example, eastWestGateway: { address: gw.two.example, port: 443, network: net-two } }
      agents:
        dst: { image: registry.example/dst:1.0, port: 9000 }
        other: { image: registry.example/other:1.0 }
    solo:
      cluster: { name: three, trustDomain: mesh.three.example }
      agents:
        lone: { image: registry.example/lone:1.0 }
    quiet:
      cluster: { name: four, trustDomain: mesh.four.example, eastWestGateway: { address: "2001:db8::4" } }
      agents:
        iso: { image: registry.example/iso:1.0 }
  flows:
    - { from: src, to: local, methods: [POST], path: /a }
    - { from: src, to: dst, methods: [POST], path: /b }
    - { from: dst, to: other, methods: [POST], path: /c }
    - { from: other, to: lone, methods: [POST], path: /d }
    - { from: lone, to: src, methods: [POST], path: /e }
    - { from: iso, to: src, methods: [GET], path: /f }
`;

/**
 * A second workflow owned in two (published gateway gw.two.example:443): three then hosts agents of
 * ew (owner one) and of ew2 (owner two), and two both runs ew2's server and fetches ew's bundles.
 */
export const SECOND = `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata:
  name: ew2
spec:
  owner: boss
  actors:
    boss:
      cluster: { name: two, trustDomain: mesh.two.example, eastWestGateway: { address: gw.two.example, port: 443, network: net-two } }
      agents:
        hub: { image: registry.example/hub:1.0 }
    hand:
      cluster: { name: three, trustDomain: mesh.three.example }
      agents:
        tool: { image: registry.example/tool:1.0 }
  flows:
    - { from: tool, to: hub, methods: [POST], path: /g }
`;

/** SPEC and the given further specs, loaded as files of workflows/. */
export const loadEw = (...more: string[]) => loadWorkflows([SPEC, ...more].map((text, i) => ({ file: `workflows/ew-${i}.yaml`, text })));
