export { connect, describeObject, FIELD_MANAGER, loadKubeConfig, splitWarnings, type ClusterClient, type KubeObject } from './client.js';
export { ClusterError } from './errors.js';
export { applyObjects, type AppliedObject } from './apply.js';
export { accessDrift, ACCESS_KINDS, type DriftFinding } from './access-drift.js';
export { drift, renderDrift, type DriftReport } from './drift.js';
export { doctor, renderDoctor, type Check, type DoctorReport } from './doctor.js';
export { kubeStatus, renderKubeStatus, type AgentStatus, type KubeStatusReport } from './status.js';
export { applyOrder, clusterTree, treeObjects, wiringTree } from './tree.js';
