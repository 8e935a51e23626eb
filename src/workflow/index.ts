export { loadWorkflow, loadWorkflows, MAX_SPEC_BYTES, type InputFile, type LoadResult } from './load.js';
export { compareDiagnostics, DiagnosticCodes, didYouMean, formatDiagnostic, type Diagnostic, type DiagnosticCode, type Severity } from './diagnostic.js';
export * from './model.js';
export * from './condition.js';
export { RESERVED_PORTS } from './semantics.js';
export { AMBIGUOUS_ESCAPES, isPlainPath, matches, parsePathPattern, pathProblem, PREFIX_MARK, shortestMatch, type PathPattern } from './paths.js';
export { isTimezone, parseClock, parseInstant } from './time.js';
export { workflowSchema } from './schema.js';
export { fieldName, SourceFile, type FieldPath, type Position } from './source.js';
