export { manifestFiles, renderManifests, type KustomizationFile, type ManifestFiles, type ManifestInputs } from './render.js';
export { topology, route, type BundleServerRoute, type ClusterPlan, type ClusterSettings, type Topology } from './topology.js';
export { podSecurityLevel } from './namespace.js';
export { istioPaths } from './mesh.js';
export { serverConfig } from './system.js';
export * as names from './constants.js';
export type { KubeObject } from './objects.js';
export { toYaml } from './yaml.js';
export { istiodValues, meshPeers, missingPeerRoots, type MeshPeer, type PeerRoot } from './mesh-config.js';
