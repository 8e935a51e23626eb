/**
 * The trees of a cluster working for two owners (east-west-specs.ts: three hosts agents of ew,
 * owned in one, and of ew2, owned in two; two runs ew2's server and fetches ew's bundles), sent to
 * a real API server as the example trees are (apply.test.ts): every object accepted without a
 * warning, the per-owner ServiceEntries and Services through the pinned Istio CRDs' schemas.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyObjects } from '../../src/cluster/apply.js';
import type { KubeObject } from '../../src/cluster/client.js';
import { manifestFiles } from '../../src/manifests/index.js';
import { startControlPlane } from '../helpers/control-plane.js';
import { loadEw, SECOND } from '../manifests/east-west-specs.js';
import { exampleInputs, isKustomization } from '../manifests/helpers.js';

for (const cluster of ['three', 'two']) {
  test(`${cluster}: the tree with both owners' bundle-server routes is accepted without a warning`, async () => {
    const files = manifestFiles(loadEw(SECOND).workflows, await exampleInputs());
    const objects = [...files]
      .filter(([p, o]) => p.startsWith(`clusters/${cluster}/`) && !isKustomization(o as never))
      .map(([, o]) => o as unknown as KubeObject);
    // The two owners' routes are among them (the manifests tests check their contents).
    assert.equal(
      objects
        .filter((o) => o.metadata.namespace === 'custody-system' && (o.kind === 'ServiceEntry' || o.kind === 'Service'))
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .sort(),
      cluster === 'three'
        ? ['ServiceEntry/custody-bundle-server-one', 'ServiceEntry/custody-bundle-server-two']
        : ['Service/custody-bundle-server', 'Service/custody-bundle-server-two', 'ServiceEntry/custody-bundle-server-one', 'ServiceEntry/github-com-443'],
    );
    const plane = await startControlPlane({ context: `two-owners-${cluster}` });
    try {
      // Where Istio's east-west gateway is installed: its installation creates it, not Custody.
      await plane.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
      const applied = await applyObjects(plane.client, objects);
      assert.is(applied.length, objects.length);
      assert.equal(
        applied.filter((r) => r.error || r.warnings.length > 0).map((r) => `${r.object}: ${r.error ?? r.warnings.join('; ')}`),
        [],
      );
    } finally {
      await plane.stop();
    }
  });
}

test.run();
