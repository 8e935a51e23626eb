export { compileAgent, compileWorkflow, type AgentData, type AgentPolicy, type BundleManifest, type FlowRuleData, type SourceData } from './compile.js';
export { accessMatrix, matrixAt, matrixMethods, probePath, type AccessMatrix, type Decision, type MatrixCell, type MatrixRule } from './matrix.js';
export { formatMatrix } from './matrix-format.js';
export { analyseWorkflow, type Finding } from './analysis.js';
export { decide, inWindow, isPlainPath, localClock, pathMatches, type AccessRequest } from './evaluate.js';
export { conditionInWords, flowConditionInWords } from './words.js';
export { BUNDLE_ROOT, DECISION_PATH, PACKAGE, POLICY_REGO } from './rego.js';
export { BUNDLE_SERVER_AUDIENCE, KEY_ID_HEADER as SIDECAR_KEY_ID_HEADER, opaSidecarConfig, SIDECAR_TOKEN_PATH, type SidecarConfigOptions, type VerificationKey } from './sidecar.js';
