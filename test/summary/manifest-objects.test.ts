/** Counting manifest objects: identities, canonical content, and any text without a crash. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { manifestObjects, manifestTree } from '../../src/summary/manifest-objects.js';

const TWO =
  'apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: a, namespace: w }\n---\napiVersion: v1\nkind: Service\nmetadata:\n  namespace: w\n  name: a\nspec: { ports: [{ port: 80 }] }\n';

test('objects by kind/namespace/name, compared with keys sorted; nameless ones by file; trees by cluster', () => {
  const objects = manifestObjects('generated/clusters/c1/w/a.yaml', TWO);
  assert.equal(
    objects.map((o) => o.key),
    ['ServiceAccount/w/a', 'Service/w/a'],
  );
  const reordered = manifestObjects('generated/clusters/c1/w/b.yaml', 'kind: ServiceAccount\nmetadata: { namespace: w, name: a }\napiVersion: v1\n');
  assert.is(reordered[0]!.content, objects[0]!.content);
  assert.equal(
    manifestObjects('generated/clusters/c1/w/kustomization.yaml', 'kind: Kustomization\nresources: [a.yaml]\n').map((o) => o.key),
    ['Kustomization@generated/clusters/c1/w/kustomization.yaml#0'],
  );
  assert.equal(manifestTree('generated/clusters/c1/w/a.yaml'), { tree: 'clusters/c1', cluster: 'c1' });
  assert.equal(manifestTree('generated/argocd/c1/app.yaml'), { tree: 'argocd/c1', cluster: 'c1' });
  assert.equal(manifestTree('generated/flux/x.yaml'), { tree: 'flux' });
  assert.is(manifestTree('bundles/w/a/data.json'), undefined);
});

test('text that does not parse is an object known by its file and compared by its text, never a crash', () => {
  const alias = manifestObjects('generated/clusters/c1/x.yaml', 'kind: Service\nmetadata: { name: *nowhere }\n');
  assert.equal(
    alias.map((o) => o.kind),
    ['(unparsed)'],
  );
  fc.assert(
    fc.property(fc.nat(), fc.string({ maxLength: 3 }), fc.nat({ max: 5 }), (at, insert, remove) => {
      const i = at % (TWO.length + 1);
      const edited = TWO.slice(0, i) + insert + TWO.slice(i + remove);
      const objects = manifestObjects('generated/clusters/c1/w/a.yaml', edited);
      for (const o of objects) assert.type(o.key, 'string');
    }),
    { numRuns: 500 },
  );
});

test.run();
