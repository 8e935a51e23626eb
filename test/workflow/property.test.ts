/** Property tests of the parser and checker: valid specs are accepted and compile; mutations give typed errors, never a crash. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { renderBundles } from '../../src/generate/index.js';
import { accessMatrix } from '../../src/policy/index.js';
import { DiagnosticCodes, loadWorkflows } from '../../src/workflow/index.js';
import { workflowDoc, type WorkflowDoc } from '../helpers/arbitrary.js';

const CODES = new Set<string>(Object.values(DiagnosticCodes));
const load = (text: string) => loadWorkflows([{ file: 'w.yaml', text }]);

test('random valid specs are accepted, compile, and render the same bytes twice', () => {
  fc.assert(
    fc.property(workflowDoc, (doc) => {
      const text = stringify(doc);
      const r = load(text);
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      assert.equal(errors, [], text);
      const w = r.workflows[0]!;
      const n = w.agents.length;
      assert.is(accessMatrix(w).cells.length, n * (n - 1) * accessMatrix(w).methods.length);
      const a = renderBundles([w]);
      const b = renderBundles(load(text).workflows);
      assert.equal([...a.files], [...b.files]);
      assert.is(a.files.size, 4 * n);
    }),
    { numRuns: 150 },
  );
});

type Mutation = (doc: WorkflowDoc, pick: number, junk: unknown) => void;

const junkValue = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.string(),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

/** Every place in the document, as paths, to mutate one at random. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function parentOf(doc: unknown, path: (string | number)[]): [Record<string | number, unknown>, string | number] | undefined {
  if (path.length === 0) return undefined;
  let node = doc as Record<string | number, unknown>;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  return [node, path.at(-1)!];
}

const mutations: Mutation[] = [
  (doc, pick, junk) => {
    const p = paths(doc);
    const t = parentOf(doc, p[pick % p.length]!);
    if (t) t[0][t[1]] = junk;
  },
  (doc, pick) => {
    const p = paths(doc);
    const t = parentOf(doc, p[pick % p.length]!);
    if (t) {
      if (Array.isArray(t[0])) t[0].splice(Number(t[1]), 1);
      else delete t[0][t[1]];
    }
  },
  (doc, pick, junk) => {
    const p = paths(doc).filter((x) => {
      const t = parentOf(doc, x);
      return t && !Array.isArray(t[0]);
    });
    const t = parentOf(doc, p[pick % p.length]!);
    if (t) t[0][`${String(t[1])}x`] = junk;
  },
  (doc, pick) => {
    const f = doc.spec.flows[pick % doc.spec.flows.length]!;
    f.to = f.from;
  },
  (doc, pick) => {
    const f = doc.spec.flows[pick % doc.spec.flows.length]!;
    f.path = ['', 'x', '/a//b', '/a/*/b', '/%2e', '/a b'][pick % 6];
  },
  (doc, pick) => {
    const f = doc.spec.flows[pick % doc.spec.flows.length]!;
    f.when = [{ hours: { from: '10:00', to: ['10:00', '25:00', '9:00', 'noon'][pick % 4] } }];
  },
  (doc, pick) => {
    const f = doc.spec.flows[pick % doc.spec.flows.length]!;
    f.until = ['2020-01-01T00:00:00Z', 'tomorrow', '2027-13-01T00:00:00Z'][pick % 3];
    f.notBefore = '2026-01-01T00:00:00Z';
  },
  (doc) => {
    doc.spec.timezone = 'Mars/Olympus_Mons';
  },
  (doc, pick) => {
    doc.spec.owner = `${doc.spec.owner as string}${'xyz'[pick % 3]}`;
  },
];

test('random mutations of valid specs give typed, located errors, never a crash', () => {
  fc.assert(
    fc.property(workflowDoc, fc.integer({ min: 0, max: mutations.length - 1 }), fc.nat(), junkValue, (doc, which, pick, junk) => {
      mutations[which]!(doc, pick, junk);
      const text = stringify(doc);
      const r = load(text);
      const lines = text.split('\n').length;
      for (const d of r.diagnostics) {
        assert.ok(CODES.has(d.code), `typed code: ${d.code}`);
        assert.ok(d.line >= 1 && d.line <= lines + 1 && d.column >= 1, `located: ${d.line}:${d.column}`);
        assert.is(d.file, 'w.yaml');
      }
      if (r.diagnostics.some((d) => d.severity === 'error')) assert.is(r.workflows.length, 0);
    }),
    { numRuns: 400 },
  );
});

test('random edits of the YAML text never crash the checker', () => {
  fc.assert(
    fc.property(workflowDoc, fc.nat(), fc.string({ maxLength: 3 }), fc.nat({ max: 5 }), (doc, at, insert, remove) => {
      const text = stringify(doc);
      const i = at % (text.length + 1);
      const edited = text.slice(0, i) + insert + text.slice(i + remove);
      const r = load(edited);
      for (const d of r.diagnostics) assert.ok(CODES.has(d.code));
    }),
    { numRuns: 400 },
  );
});

test.run();
