export { ExtAuthzClient, OK, PERMISSION_DENIED, type CheckRequest } from './ext-authz.js';
export { decideAt, findBinary, freePort, startLocalSidecar, type LocalSidecar } from './sidecars.js';
export { formatReport, tripleRequest, verifyWorkflows, type SidecarReport, type VerifyOptions, type VerifyRow, type WorkflowReport } from './verify.js';
export { proofFromReport } from './report.js';
export { runDemo, type DemoOptions, type DemoPage, type DemoResult, type DemoStep } from './demo.js';
