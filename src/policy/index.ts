export { compileAgent, compileWorkflow, type AgentData, type AgentPolicy, type BundleManifest, type FlowRuleData, type SourceData } from './compile.js';
export { accessMatrix, matrixAt, matrixMethods, matrixSize, probePath, type AccessMatrix, type Decision, type MatrixCell, type MatrixRule } from './matrix.js';
export { formatMatrix } from './matrix-format.js';
export { analyseWorkflow, type Finding } from './analysis.js';
export { decide, inWindow, localClock, type AccessRequest } from './evaluate.js';
export { conditionInWords, flowConditionInWords } from './words.js';
export { BUNDLE_ROOT, PACKAGE, POLICY_REGO } from './rego.js';
export { opaSidecarConfig, SIDECAR_TOKEN_PATH, type SidecarConfigOptions } from './sidecar.js';
