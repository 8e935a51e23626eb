/**
 * The Istio ALLOW rule's `paths` for a flow path: literal translations, and agreement with the
 * reference `matches()` under Istio's own matching rules, written here from Istio's documentation
 * of AuthorizationPolicy `Operation.paths` (not from the code under test): a value `abc` matches
 * exactly, `abc*` is a prefix, `*abc` a suffix, `*` any non-empty path; the request path is
 * compared without its query (Envoy's path matcher removes query and fragment).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { istioPaths } from '../../src/manifests/index.js';
import { matches, parsePathPattern } from '../../src/workflow/index.js';

function istioValueMatches(value: string, requestPath: string): boolean {
  const path = requestPath.replace(/[?#][\s\S]*$/, '');
  if (value === '*') return path !== '';
  if (value.endsWith('*')) return path.startsWith(value.slice(0, -1));
  if (value.startsWith('*')) return path.endsWith(value.slice(1));
  return path === value;
}

const istioAllows = (values: readonly string[], requestPath: string) => values.some((v) => istioValueMatches(v, requestPath));

test('the Istio matcher of this test follows the documented examples', () => {
  const rows: [string, string, boolean][] = [
    ['/abc', '/abc', true],
    ['/abc', '/abcd', false],
    ['/abc', '/abc?x=1', true],
    ['/abc*', '/abc', true],
    ['/abc*', '/abcd', true],
    ['/abc*', '/ab', false],
    ['/abc*', '/abc?x=1', true],
    ['*abc', '/xabc', true],
    ['*abc', '/abcx', false],
    ['*', '/', true],
    ['*', '/anything', true],
  ];
  for (const [value, path, expected] of rows) assert.is(istioValueMatches(value, path), expected, `${value} ~ ${path}`);
});

test('flow paths become these Istio paths', () => {
  const rows: [string, string[]][] = [
    ['/api/color', ['/api/color']],
    ['/', ['/']],
    ['/a/', ['/a/']],
    ['/api/*', ['/api', '/api/*']],
    ['/a/b/c/*', ['/a/b/c', '/a/b/c/*']],
    ['/*', ['/*']],
    ['/a//*', ['/a/', '/a//*']],
    ['//*', ['/', '//*']],
  ];
  for (const [flow, expected] of rows) assert.equal(istioPaths(parsePathPattern(flow)), expected, flow);
});

test('on literal requests, the Istio rule of /a/* allows /a and below it, not /ab, as the reference does', () => {
  const rows: [string, string, boolean][] = [
    ['/a/*', '/a', true],
    ['/a/*', '/a/', true],
    ['/a/*', '/a/b/c', true],
    ['/a/*', '/ab', false],
    ['/a/*', '/', false],
    ['/a/*', '/a?x=/b', true],
    ['/a/*', '/ab?x=/a/', false],
    ['/*', '/', true],
    ['/*', '/x/y', true],
    ['/a', '/a', true],
    ['/a', '/a/', false],
    ['/a', '/a?q', true],
  ];
  for (const [flow, request, expected] of rows) {
    const pattern = parsePathPattern(flow);
    assert.is(istioAllows(istioPaths(pattern), request), expected, `Istio: ${flow} ~ ${request}`);
    assert.is(matches(pattern, request.split('?')[0]!), expected, `reference: ${flow} ~ ${request}`);
  }
});

const segment = fc.stringMatching(/^[a-z.~-]{1,3}$/).filter((s) => s !== '.' && s !== '..');
const patternArb = fc
  .record({ segments: fc.array(segment, { maxLength: 3 }), slash: fc.boolean(), prefix: fc.boolean() })
  .map(({ segments, slash, prefix }) => {
    const body = segments.map((s) => `/${s}`).join('') + (slash || segments.length === 0 ? '/' : '');
    return prefix ? `${body === '/' ? '' : body}/*` : body;
  });

/** Request paths near a pattern (itself, below it, look-alikes, with a query) and anywhere. */
const requestArb = (text: string) => {
  const base = text.endsWith('/*') ? text.slice(0, -2) : text;
  const near = fc.constantFrom(base, `${base}/`, `${base}x`, `${base}/x/y`, base.slice(0, -1), `${base}.`, `/${base}`, text);
  const anywhere = fc.array(segment, { maxLength: 3 }).map((segs) => `/${segs.join('/')}`);
  const query = fc.option(fc.constantFrom('?q=1', `?next=${base}/x`, '?'), { nil: '' });
  return fc.tuple(fc.oneof(near, anywhere), query).map(([p, q]) => `${p || '/'}${q}`);
};

test('for random flow paths and requests, the Istio rule allows exactly what matches() allows', () => {
  fc.assert(
    fc.property(
      patternArb.chain((text) => fc.tuple(fc.constant(text), requestArb(text))),
      ([text, request]) => {
        const pattern = parsePathPattern(text);
        const reference = matches(pattern, request.split('?')[0]!);
        assert.is(istioAllows(istioPaths(pattern), request), reference, `${text} ~ ${request}: Istio paths ${JSON.stringify(istioPaths(pattern))}`);
      },
    ),
    { numRuns: 3000, seed: 20260417 },
  );
});

test.run();
