/** What sidecars and the server agree on, and where the policy's decision is, written out. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bundleResource, DECISION_PATH, DECISION_REF, KEY_ID_HEADER, parseBundlePath, TOKEN_AUDIENCE } from '../../src/contract/index.js';
import { POLICY_REGO } from '../../src/policy/index.js';

test('a bundle is at bundles/<workflow>/<agent>.tar.gz, and the server reads back what the sidecar asks for', () => {
  assert.is(bundleResource('movie-post-production', 'vfx-1'), 'bundles/movie-post-production/vfx-1.tar.gz');
  assert.equal(parseBundlePath('/bundles/movie-post-production/vfx-1.tar.gz'), { workflow: 'movie-post-production', agent: 'vfx-1' });
  assert.equal(parseBundlePath(`/${bundleResource('w', 'a')}`), { workflow: 'w', agent: 'a' });
});

test('paths naming no bundle are refused', () => {
  for (const p of [
    '/bundles/../etc/passwd',
    '/bundles/w/../a.tar.gz',
    '/bundles/w/a.tar',
    '/bundles/W/a.tar.gz',
    '/bundles/w/a/b.tar.gz',
    '/bundles/w.tar.gz',
    '/x/bundles/w/a.tar.gz',
    'bundles/w/a.tar.gz',
    '/bundles/w/-a.tar.gz',
    '/bundles/w/a.tar.gz/',
  ])
    assert.is(parseBundlePath(p), undefined, p);
});

test('header, audience and decision', () => {
  assert.is(KEY_ID_HEADER, 'X-Custody-Key-Id');
  assert.is(TOKEN_AUDIENCE, 'custody-bundle-server');
  assert.is(DECISION_PATH, 'custody/authz/allow');
  assert.is(DECISION_REF, 'data.custody.authz.allow');
  // The module every bundle carries defines exactly that document.
  assert.match(POLICY_REGO, /^package custody\.authz$/m);
  assert.match(POLICY_REGO, /^default allow := false$/m);
});

test.run();
