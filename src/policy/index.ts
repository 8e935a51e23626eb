export { compileAgent, compileWorkflow, type AgentData, type AgentPolicy, type BundleManifest, type FlowRuleData, type SourceData } from './compile.js';
export { accessMatrix, matrixAt, matrixMethods, matrixSize, probePath, type AccessMatrix, type Decision, type MatrixCell, type MatrixRule } from './matrix.js';
export { formatMatrix } from './matrix-format.js';
export { analyseWorkflow, type Finding } from './analysis.js';
export { decide, inWindow, localClock, type AccessRequest } from './evaluate.js';
export { conditionInWords, flowConditionInWords } from './words.js';
export { BUNDLE_ROOT, LOG_MASK_DECISION, LOG_MASK_PACKAGE, LOG_MASK_REGO, PACKAGE, POLICY_REGO } from './rego.js';
export { DEFAULT_GRPC_ADDR, opaSidecarConfig, SIDECAR_TOKEN_PATH, type SidecarConfigOptions } from './sidecar.js';
