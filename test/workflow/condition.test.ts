/** `when` conditions: kept in the spec's spelling from the file to the policy data, and what an attribute test means. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileWorkflow } from '../../src/policy/index.js';
import { attributeHolds, attributeTest, compareAttribute, type Comparator, type Condition } from '../../src/workflow/index.js';
import { loadOne } from '../helpers/workflows.js';

const SPEC = `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata: { name: demo }
spec:
  owner: o
  actors: { o: { cluster: { name: c }, agents: { a: { image: r/a:1, attributes: { level: 3, role: lead } }, b: { image: r/b:1 } } } }
  flows:
    - from: a
      to: b
      methods: [GET]
      path: /x
      when:
        - { hours: { from: "08:00", to: "17:00" }, days: [Fri, Mon, Fri] }
        - { atLeast: 2, attribute: level }
        - { attribute: role, equals: lead, days: [Sun, Sat] }
`;

test('the model keeps an alternative as the spec spells it (days once each, in week order), and the policy data is that same value', () => {
  const r = loadOne(SPEC);
  assert.equal(
    r.diagnostics.map((d) => [d.severity, d.message]),
    [['warning', 'day Fri is listed twice']],
  );
  const w = r.workflows[0]!;
  const expected = [
    { hours: { from: '08:00', to: '17:00' }, days: ['Mon', 'Fri'] },
    { attribute: 'level', atLeast: 2 },
    { days: ['Sat', 'Sun'], attribute: 'role', equals: 'lead' },
  ];
  assert.equal(w.flows[0]!.when, expected);
  const b = compileWorkflow(w).find((p) => p.agent === 'b')!;
  const source = Object.values(b.data.custody.agent.sources)[0]!;
  assert.equal(source.flows[0]!.when, expected);
  assert.equal(source.attributes, { level: 3, role: 'lead' });
});

test('an attribute test, seen as one value', () => {
  assert.equal(attributeTest({ attribute: 'level', greaterThan: 3 }), { name: 'level', comparator: 'greaterThan', value: 3 });
  assert.equal(attributeTest({ attribute: 'senior', equals: false }), { name: 'senior', comparator: 'equals', value: false });
  assert.is(attributeTest({ days: ['Mon'] }), undefined);
});

// [comparator, actual, expected, holds]: Rego's ==, >, <, >=, <=; order comparisons only on numbers.
const COMPARISONS: [Comparator, number | string | boolean, number | string | boolean, boolean][] = [
  ['equals', 3, 3, true],
  ['equals', 3, 4, false],
  ['equals', 'lead', 'lead', true],
  ['equals', 'lead', 'Lead', false],
  ['equals', true, true, true],
  ['equals', 1, true, false],
  ['equals', '3', 3, false],
  ['greaterThan', 4, 3, true],
  ['greaterThan', 3, 3, false],
  ['greaterThan', '4', 3, false],
  ['lessThan', 2, 3, true],
  ['lessThan', 3, 3, false],
  ['lessThan', true, 3, false],
  ['atLeast', 3, 3, true],
  ['atLeast', 2.5, 3, false],
  ['atLeast', 'x', 0, false],
  ['atMost', 3, 3, true],
  ['atMost', 3.5, 3, false],
  ['atMost', false, 3, false],
];

test('attribute comparison', () => {
  for (const [comparator, actual, expected, holds] of COMPARISONS) {
    assert.is(compareAttribute(comparator, actual, expected), holds, `${JSON.stringify(actual)} ${comparator} ${JSON.stringify(expected)}`);
  }
});

test("an alternative's attribute test holds for a sender's attributes; a missing attribute never holds; no test always holds", () => {
  const attributes = { level: 3, role: 'lead' };
  const rows: [Condition, boolean][] = [
    [{ attribute: 'level', atLeast: 3 }, true],
    [{ attribute: 'level', greaterThan: 3 }, false],
    [{ attribute: 'role', equals: 'lead' }, true],
    [{ attribute: 'rank', equals: 1 }, false],
    [{ attribute: 'rank', lessThan: 1 }, false],
    [{ days: ['Mon'] }, true],
  ];
  for (const [c, holds] of rows) assert.is(attributeHolds(c, attributes), holds, JSON.stringify(c));
});

test.run();
