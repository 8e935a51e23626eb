/** Loading and checking workflows for a command: validation, then the reviewer's warnings. */
import { analyseWorkflow } from '../policy/index.js';
import { compareDiagnostics, fieldName, loadWorkflows, type Diagnostic, type InputFile, type Workflow } from '../workflow/index.js';

export interface Checked {
  readonly workflows: readonly Workflow[];
  readonly diagnostics: readonly Diagnostic[];
  readonly errors: number;
  readonly warnings: number;
}

export function checkInputs(inputs: readonly InputFile[]): Checked {
  const result = loadWorkflows(inputs);
  const diagnostics = [...result.diagnostics];
  for (const workflow of result.workflows) {
    const source = result.sources.get(workflow.file);
    for (const f of analyseWorkflow(workflow)) {
      const pos = source?.position(f.path, true) ?? { line: 1, column: 1 };
      diagnostics.push({
        severity: 'warning', code: f.code, file: workflow.file, line: pos.line, column: pos.column,
        field: fieldName(f.path), message: f.message, ...(f.hint ? { hint: f.hint } : {}),
      });
    }
  }
  diagnostics.sort(compareDiagnostics);
  return {
    workflows: result.workflows,
    diagnostics,
    errors: diagnostics.filter((d) => d.severity === 'error').length,
    warnings: diagnostics.filter((d) => d.severity === 'warning').length,
  };
}

export { plural } from '../core/text.js';
