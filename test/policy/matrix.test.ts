import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { accessMatrix, analyseWorkflow, matrixAt } from '../../src/policy/index.js';
import { parseInstant } from '../../src/workflow/index.js';
import { exampleWorkflows, loadOne } from '../helpers/workflows.js';

const movie = exampleWorkflows().find((w) => w.name === 'movie-post-production')!;
const ns = (s: string) => {
  const p = parseInstant(s);
  if ('error' in p) throw new Error(p.error);
  return p.ns;
};

test("the movie matrix: 7 agents, GET and POST, 84 triples, the seed paper's edges", () => {
  const m = accessMatrix(movie);
  assert.equal(m.methods, ['GET', 'POST']);
  assert.is(m.cells.length, 7 * 6 * 2);
  const allowed = m.cells
    .filter((c) => c.decision !== 'deny')
    .map((c) => `${c.from}>${c.to} ${c.method} ${c.decision}`)
    .sort();
  assert.equal(allowed, [
    'color>hdr POST allow',
    'hdr>owner POST allow',
    'owner>vfx-1 POST allow',
    'sound>owner POST conditional',
    'vfx-1>vfx-2 POST allow',
    'vfx-1>vfx-3 POST allow',
    'vfx-2>color POST allow',
    'vfx-3>sound POST allow',
  ]);
  // GET is never allowed: default deny in every direction.
  assert.ok(m.cells.filter((c) => c.method === 'GET').every((c) => c.decision === 'deny'));
});

test('attribute tests are decided from the spec; time conditions stay conditional', () => {
  const m = accessMatrix(movie);
  const vfx2 = m.cells.find((c) => c.from === 'vfx-2' && c.to === 'color' && c.method === 'POST')!;
  assert.is(vfx2.decision, 'allow');
  assert.is(vfx2.rules[0]!.written, '(tenure > 10 or 08:00–17:00 Europe/Paris)');
  const low = loadOne(`apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata: { name: t }
spec:
  owner: o
  timezone: Europe/Paris
  actors:
    o: { cluster: { name: c }, agents: { a: { image: r/a:1, attributes: { tenure: 3 } }, b: { image: r/b:1 } } }
  flows:
    - { from: a, to: b, methods: [POST], path: /x, when: [{ attribute: tenure, greaterThan: 10 }, { hours: { from: "08:00", to: "17:00" } }] }
    - { from: b, to: a, methods: [POST], path: /y }
`).workflows[0]!;
  const cell = accessMatrix(low).cells.find((c) => c.from === 'a' && c.method === 'POST')!;
  assert.is(cell.decision, 'conditional');
  assert.is(cell.rules[0]!.condition, '08:00–17:00 Europe/Paris');
});

test('the matrix at an instant resolves conditions, DST included', () => {
  const low = loadOne(`apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata: { name: t }
spec:
  owner: o
  timezone: Europe/Paris
  actors:
    o: { cluster: { name: c }, agents: { a: { image: r/a:1 }, b: { image: r/b:1 } } }
  flows:
    - { from: a, to: b, methods: [POST], path: /x, when: [{ hours: { from: "08:00", to: "17:00" }, days: [Mon] }] }
    - { from: b, to: a, methods: [POST], path: /y, until: "2027-03-31T00:00:00Z" }
`).workflows[0]!;
  const m = accessMatrix(low);
  const at = (instant: string) =>
    matrixAt(low, m, ns(instant))
      .filter((c) => c.decision === 'allow')
      .map((c) => `${c.from}>${c.to}`);
  // Monday 2026-01-05: Paris is UTC+1 in winter, UTC+2 in summer (Monday 2026-07-06).
  assert.equal(at('2026-01-05T06:59:59Z'), ['b>a']);
  assert.equal(at('2026-01-05T07:00:00Z'), ['a>b', 'b>a']);
  assert.equal(at('2026-01-05T15:59:59Z'), ['a>b', 'b>a']);
  assert.equal(at('2026-01-05T16:00:00Z'), ['b>a']);
  assert.equal(at('2026-07-06T06:00:00Z'), ['a>b', 'b>a']);
  assert.equal(at('2026-07-06T15:00:00Z'), ['b>a']);
  assert.equal(at('2026-01-06T10:00:00Z'), ['b>a'], 'Tuesday');
  assert.equal(at('2027-03-31T00:00:00Z'), [], 'until is exclusive');
  assert.equal(at('2027-03-30T23:59:59.999999999Z'), ['b>a']);
});

const analyse = (
  flows: string,
  actors = `o: { cluster: { name: c }, agents: { o1: { image: r/o:1 } } }
    x: { cluster: { name: c }, agents: { x1: { image: r/x:1 }, x2: { image: r/x:1 } } }
    y: { cluster: { name: c }, agents: { y1: { image: r/y:1 } } }`,
) => {
  const r = loadOne(`apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata: { name: t }
spec:
  owner: o
  actors:
    ${actors}
  flows:
${flows}`);
  assert.equal(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return analyseWorkflow(r.workflows[0]!).map((f) => `${f.code} ${f.path.join('.')}`);
};

test('analysis: the seed workflow raises nothing', () => {
  assert.equal(analyseWorkflow(movie), []);
});

test('analysis: unreachable, no return, isolated, cycles', () => {
  // A POST carries data both ways (its body to x1, its response back): y1 gets the owner's data
  // in o1's responses, and x1 and x2 return theirs in the responses to o1's and x1's requests.
  assert.equal(
    analyse(`    - { from: o1, to: x1, methods: [POST], path: /a }
    - { from: x1, to: x2, methods: [POST], path: /a }
    - { from: x2, to: x1, methods: [POST], path: /a }
    - { from: y1, to: o1, methods: [POST], path: /a }
`),
    ['cycle spec.flows.1'],
  );
  // GET moves data in the response only (to -> from), DELETE in the request only (from -> to).
  assert.equal(
    analyse(`    - { from: x1, to: o1, methods: [GET], path: /a }
    - { from: y1, to: o1, methods: [DELETE], path: /a }
`),
    ['no-return-to-owner spec.actors.x.agents.x1', 'isolated-agent spec.actors.x.agents.x2', 'unreachable-agent spec.actors.y.agents.y1'],
  );
  // Two contractors fetching from each other: data circulates between them.
  assert.equal(
    analyse(`    - { from: o1, to: x1, methods: [POST], path: /a }
    - { from: x1, to: x2, methods: [GET], path: /a }
    - { from: x2, to: x1, methods: [GET], path: /a }
    - { from: o1, to: y1, methods: [POST], path: /a }
`),
    ['cycle spec.flows.1'],
  );
  assert.equal(
    analyse(`    - { from: o1, to: x1, methods: [POST], path: /a }
    - { from: x1, to: o1, methods: [POST], path: /a }
`),
    ['isolated-agent spec.actors.x.agents.x2', 'isolated-agent spec.actors.y.agents.y1'],
  );
});

test("analysis: an auditor that GETs evidence from the owner's ledger is reached by its data", () => {
  const actors = `bank: { cluster: { name: c }, agents: { ledger: { image: r/l:1 } } }
    auditor: { cluster: { name: d }, agents: { audit-review: { image: r/a:1 } } }`;
  const flows = `    - { from: audit-review, to: ledger, methods: [GET], path: /api/evidence/* }
`;
  const r = loadOne(`apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata: { name: t }
spec:
  owner: bank
  actors:
    ${actors}
  flows:
${flows}`);
  assert.equal(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  // The evidence ends at the auditor (nothing goes back to the bank): that is the one warning.
  assert.equal(
    analyseWorkflow(r.workflows[0]!).map((f) => `${f.code} ${f.subjects.join(',')}`),
    ['no-return-to-owner audit-review'],
  );
});

test('analysis: business-intelligence exposure between contractors, not towards the owner', () => {
  assert.equal(
    analyse(`    - { from: o1, to: x1, methods: [POST], path: /a }
    - { from: x1, to: y1, methods: [POST], path: /a }
    - { from: y1, to: x2, methods: [POST], path: /a }
    - { from: x2, to: o1, methods: [POST], path: /a }
`),
    ['bi-exposure spec.actors.y'],
  );
  // The same shape with the owner in the middle is what outsourcing is: no finding.
  assert.equal(
    analyse(`    - { from: o1, to: x1, methods: [POST], path: /a }
    - { from: x1, to: o1, methods: [POST], path: /a }
    - { from: o1, to: x2, methods: [POST], path: /a }
    - { from: x2, to: o1, methods: [POST], path: /a }
    - { from: o1, to: y1, methods: [POST], path: /a }
    - { from: y1, to: o1, methods: [POST], path: /a }
`),
    [],
  );
});

test.run();
