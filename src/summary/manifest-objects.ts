/**
 * The Kubernetes objects of a manifest tree, for counting what a change adds, changes and
 * removes: every YAML document of every `.yaml`/`.yml` file, identified by kind, namespace and
 * name (what a reconciler identifies it by), compared by content with keys sorted, so a
 * reordering that changes nothing applied is not a change.
 */
import { parseAllDocuments } from 'yaml';
import { GENERATED_DIR } from '../contract/index.js';
import { sortedValue } from '../core/json.js';
import { names } from '../manifests/index.js';

export interface ManifestObject {
  /** Identity within its tree: `kind/namespace/name`; objects without a name are known by file and position. */
  readonly key: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
  /** Repository path of the file holding it. */
  readonly file: string;
  /** Canonical content (sorted JSON), or the raw text of a document that does not parse. */
  readonly content: string;
}

export const isManifestFile = (path: string) => /\.ya?ml$/.test(path);

/**
 * Which tree of `generated/` a file belongs to: `clusters/<cluster>` (what one cluster's
 * reconciler applies), `<folder>/<cluster>` for the reconcilers' wiring (`argocd/…`, `flux/…`),
 * or the top folder for anything else.
 */
export function manifestTree(path: string): { tree: string; cluster?: string } | undefined {
  const parts = path.split('/');
  if (parts[0] !== GENERATED_DIR || parts.length < 2) return undefined;
  if (parts.length >= 4) return { tree: `${parts[1]}/${parts[2]}`, cluster: parts[2]! };
  return { tree: parts.length === 3 ? parts[1]! : '.' };
}

export function manifestObjects(file: string, text: string): ManifestObject[] {
  const out: ManifestObject[] = [];
  let docs;
  try {
    // logLevel: a key that is a collection is stringified; that is fine here and no warning for the terminal.
    docs = parseAllDocuments(text, { version: '1.2', logLevel: 'error' });
  } catch {
    return [{ key: `(unparsed)/${file}`, kind: '(unparsed)', file, content: text }];
  }
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    // A document that does not parse (or only seems to: an alias with no anchor throws in toJS)
    // is compared by its text.
    const unparsed = () => out.push({ key: `(unparsed)/${file}#${i}`, kind: '(unparsed)', file, content: text.slice(doc.range[0], doc.range[2]) });
    let value: unknown;
    try {
      if (doc.errors.length) return void unparsed();
      value = doc.toJS() as unknown;
    } catch {
      return void unparsed();
    }
    if (value === null || value === undefined) return;
    const obj = (typeof value === 'object' && !Array.isArray(value) ? value : {}) as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
    // The one generated file that is not an object: the values an organisation gives istiod's Helm chart.
    const values = file.endsWith(`/${names.ISTIOD_VALUES_FILE}`);
    const kind = typeof obj.kind === 'string' ? obj.kind : values ? 'istiod Helm values' : '(no kind)';
    const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : undefined;
    const namespace = typeof obj.metadata?.namespace === 'string' ? obj.metadata.namespace : undefined;
    // A kustomization.yaml names no object: it is known by where it is.
    const key = name === undefined ? `${kind}@${file}#${i}` : `${kind}/${namespace ?? ''}/${name}`;
    out.push({
      key,
      kind,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(name !== undefined ? { name } : {}),
      file,
      content: JSON.stringify(sortedValue(value)),
    });
  });
  return out;
}
