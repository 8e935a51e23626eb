/**
 * The check beside every summary: the summary describes the specs, the sidecars enforce the
 * generated trees, so a summary holds only when the trees a change touches are the specs' own.
 */
import { desiredTrees } from '../generate/index.js';
import { KeysError, parseKeyFiles, type KeySet } from '../keys/index.js';
import { loadWorkflows } from '../workflow/index.js';
import { keyFilesAt, workflowInputsAt, type Repository } from '../git/index.js';
import type { GeneratedCheck } from '../summary/index.js';

/**
 * Are the generated files this change touches what the head's specs and keys generate (with
 * this version of Custody)? `custody generate --check` on the head, limited to those files, so
 * a hand edit of a bundle or manifest cannot hide behind a summary read from the specs.
 */
export async function checkGenerated(
  repo: Repository,
  head: string,
  files: { base: ReadonlyMap<string, string>; head: ReadonlyMap<string, string> },
  headKeys?: ReadonlyMap<string, string>,
  repository?: string,
): Promise<GeneratedCheck> {
  const touched = [...new Set([...files.base.keys(), ...files.head.keys()])].sort();
  if (touched.length === 0) return { checked: true, files: [] };
  const loaded = loadWorkflows(await workflowInputsAt(repo, head));
  const invalid = [...new Set(loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => d.file))];
  if (invalid.length) return { checked: false, reason: `the specs have errors (${invalid.join(', ')})`, files: [] };
  let keys: KeySet;
  try {
    keys = parseKeyFiles(headKeys ?? (await keyFilesAt(repo, head)));
  } catch (err) {
    if (!(err instanceof KeysError)) throw err;
    return { checked: false, reason: err.message, files: [] };
  }
  const rendered = new Map<string, string>();
  for (const tree of desiredTrees(loaded.workflows, keys, repository)) for (const [p, content] of tree.files) rendered.set(`${tree.root}/${p}`, content);
  const out: { path: string; problem: 'differs' | 'not-generated' | 'missing' }[] = [];
  for (const p of touched) {
    const have = files.head.get(p);
    const want = rendered.get(p);
    if (have !== undefined && want === undefined) out.push({ path: p, problem: 'not-generated' });
    else if (have !== undefined && have !== want) out.push({ path: p, problem: 'differs' });
    else if (have === undefined && want !== undefined) out.push({ path: p, problem: 'missing' });
  }
  return { checked: true, files: out };
}
