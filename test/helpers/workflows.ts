import { readdirSync, readFileSync } from 'node:fs';
import { loadWorkflows, type Workflow } from '../../src/workflow/index.js';
import { repoPath } from './paths.js';

/** The example workflows committed under workflows/, checked. */
export function exampleWorkflows(): Workflow[] {
  const files = readdirSync(repoPath('workflows'))
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  const r = loadWorkflows(files.map((f) => ({ file: `workflows/${f}`, text: readFileSync(repoPath('workflows', f), 'utf8') })));
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`examples do not check: ${JSON.stringify(errors)}`);
  return [...r.workflows];
}

export function loadOne(text: string, file = 'test.yaml') {
  return loadWorkflows([{ file, text }]);
}
