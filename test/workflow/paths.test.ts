/** Flow path patterns: what is valid, what each kind matches, and the schema's regex saying the same as the module. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { formatDiagnostic, matches, parsePathPattern, pathProblem, shortestMatch, workflowSchema } from '../../src/workflow/index.js';
import { loadOne } from '../helpers/workflows.js';

const VALID = ['/', '/*', '/api/color', '/api/*', '/a/b/c/*', '/a/', '/a//*', '//*', '/.well-known/x', '/a/...', "/a-b_c~d.e!$&'()+,;=:@"];
const INVALID: [string, RegExp][] = [
  ['', /not absolute/],
  ['api/x', /not absolute/],
  ['*', /not absolute/],
  ['/a?b=1', /query or fragment/],
  ['/a#top', /query or fragment/],
  ['/a/*/b', /"\*" other than a final/],
  ['/a*', /"\*" other than a final/],
  ['/*/*', /"\*" other than a final/],
  ['/a//b', /empty segment/],
  ['//', /empty segment/],
  ['/a/../b', /"\." or "\.\." segment/],
  ['/./*', /"\." or "\.\." segment/],
  ['/a/.', /"\." or "\.\." segment/],
  ['/a%2Fb', /not allowed in a path/],
  ['/a b', /not allowed in a path/],
  ['/é', /not allowed in a path/],
  ['/a\\b', /not allowed in a path/],
];

test('the validity rule, on valid and invalid paths with the reason', () => {
  for (const p of VALID) assert.is(pathProblem(p), undefined, p);
  for (const [p, reason] of INVALID) assert.match(pathProblem(p) ?? '', reason, JSON.stringify(p));
});

test('patterns parse into their kind', () => {
  assert.equal(parsePathPattern('/api/color'), { kind: 'exact', path: '/api/color' });
  assert.equal(parsePathPattern('/'), { kind: 'exact', path: '/' });
  assert.equal(parsePathPattern('/api/*'), { kind: 'prefix', base: '/api' });
  assert.equal(parsePathPattern('/*'), { kind: 'prefix', base: '' });
  assert.equal(parsePathPattern('/a//*'), { kind: 'prefix', base: '/a/' });
  assert.throws(() => parsePathPattern('/a/*/b'), /internal: unchecked flow path/);
});

// [pattern, request path (query removed), matches]
const MATCHES: [string, string, boolean][] = [
  ['/a/b', '/a/b', true],
  ['/a/b', '/a/b/', false],
  ['/a/b', '/a', false],
  ['/a/b', '/a/bc', false],
  ['/a/b', '/A/b', false],
  ['/a/*', '/a', true],
  ['/a/*', '/a/', true],
  ['/a/*', '/a/b', true],
  ['/a/*', '/a/b/c', true],
  ['/a/*', '/ab', false],
  ['/a/*', '/', false],
  ['/a/*', '/b/a', false],
  ['/a/*', '/A/b', false],
  ['/a/b/*', '/a', false],
  ['/a/b/*', '/a/b', true],
  ['/*', '/', true],
  ['/*', '/anything/below', true],
  ['/', '/', true],
  ['/', '/a', false],
  ['/a/', '/a/', true],
  ['/a/', '/a', false],
  ['/a//*', '/a/', true],
  ['/a//*', '/a//x', true],
  ['/a//*', '/a/x', false],
  ['/a//*', '/a', false],
];

test('matches: exact paths only themselves, /a/* the path /a and everything below it, never /ab', () => {
  for (const [pattern, path, expected] of MATCHES) assert.is(matches(parsePathPattern(pattern), path), expected, `${pattern} ~ ${path}`);
});

test('the shortest match of a pattern is matched by it', () => {
  assert.equal(
    ['/a/b', '/a/*', '/*', '/', '/a//*'].map((p) => shortestMatch(parsePathPattern(p))),
    ['/a/b', '/a', '/', '/', '/a/'],
  );
});

const schemaPath = (workflowSchema as unknown as { $defs: { flow: { properties: { path: { pattern: string } } } } }).$defs.flow.properties.path.pattern;
// Ajv compiles schema patterns with the "u" flag, as editors' JSON Schema validators do.
const schemaRule = new RegExp(schemaPath, 'u');

test("the schema's path pattern accepts exactly the paths the module accepts: on the table", () => {
  for (const p of VALID) assert.ok(schemaRule.test(p), `schema rejects ${p}`);
  for (const [p] of INVALID) assert.not.ok(schemaRule.test(p), `schema accepts ${JSON.stringify(p)}`);
});

test("the schema's path pattern accepts exactly the paths the module accepts: on random strings", () => {
  const char = fc.constantFrom('/', '/', '/', '*', '.', '.', 'a', 'b', '-', '~', ':', '%', '2', 'F', '?', '#', ' ', 'é', '\\', '{', '}');
  fc.assert(
    fc.property(
      fc.array(char, { maxLength: 10 }).map((cs) => cs.join('')),
      (p) => {
        assert.is(schemaRule.test(p), pathProblem(p) === undefined, JSON.stringify(p));
      },
    ),
    { numRuns: 5000, seed: 20260417 },
  );
});

test("a bad flow path is reported once, with its reason, not again by the schema's pattern", () => {
  const text = `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata: { name: demo }
spec:
  owner: o
  actors: { o: { cluster: { name: c }, agents: { a: { image: r/a:1 }, b: { image: r/b:1 } } } }
  flows: [{ from: a, to: b, methods: [GET], path: /a/../b }]
`;
  assert.equal(loadOne(text).diagnostics.map(formatDiagnostic), [
    'error[invalid-path]: test.yaml:7:51: spec.flows[0].path: "/a/../b" holds a "." or ".." segment (write an absolute path such as /api/color, or /api/* for everything below /api)',
  ]);
});

test.run();
