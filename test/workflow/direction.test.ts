/** Which way each method moves data: the definition the analyses and the summaries share. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dataEdges, mainDirection, methodDirection } from '../../src/workflow/index.js';

test('GET, HEAD, OPTIONS: the response only; POST, PUT, PATCH: both ways; DELETE: the request only', () => {
  const table = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND'].map((m) => [
    m,
    methodDirection(m).request,
    methodDirection(m).response,
  ]);
  assert.equal(table, [
    ['GET', false, true],
    ['HEAD', false, true],
    ['OPTIONS', false, true],
    ['POST', true, true],
    ['PUT', true, true],
    ['PATCH', true, true],
    ['DELETE', true, false],
    ['PROPFIND', true, true],
  ]);
});

test("a flow's data edges and the way it is for", () => {
  const get = { from: 'audit-review', to: 'ledger', methods: ['GET'] };
  assert.equal(dataEdges(get), [{ source: 'ledger', target: 'audit-review' }]);
  assert.equal(mainDirection(get), { source: 'ledger', target: 'audit-review' });
  const post = { from: 'a', to: 'b', methods: ['GET', 'POST'] };
  assert.equal(dataEdges(post), [
    { source: 'a', target: 'b' },
    { source: 'b', target: 'a' },
  ]);
  assert.equal(mainDirection(post), { source: 'a', target: 'b' });
  assert.equal(dataEdges({ from: 'a', to: 'b', methods: ['DELETE'] }), [{ source: 'a', target: 'b' }]);
});

test.run();
