/**
 * Decision logs leave the pod for the owner's organisation: a real OPA sidecar, configured as the
 * generated ones and running the committed bundle with its mask rule, must send events that hold
 * no request header (Authorization, cookies), while the decision itself is unchanged.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoPath } from '../helpers/paths.js';
import { startTestServer } from '../helpers/server.js';
import { eventually, startSidecar } from '../helpers/sidecar.js';

const WORKFLOW = 'movie-post-production';
const VFX2 = 'spiffe://mesh.vfx.example/ns/movie-post-production/sa/vfx-2';
const OWNER = 'spiffe://mesh.studio.example/ns/movie-post-production/sa/owner';

function input(principal: string, method: string, p: string) {
  return {
    attributes: {
      source: { principal },
      request: {
        http: {
          method,
          path: p,
          headers: {
            ':path': p,
            authorization: 'Bearer secret-bearer-value',
            cookie: 'session=secret-cookie-value',
            'proxy-authorization': 'Basic secret-proxy-value',
            'x-api-key': 'secret-api-key-value',
          },
          body: 'secret-body-value',
        },
      },
    },
  };
}

// The plain OPA the other tests run, and the opa-envoy-plugin build of the version the generated Deployments pin.
const BINARIES = [
  ['opa', undefined],
  ['opa-envoy-plugin', process.env.OPA_ENVOY_BIN ?? repoPath('.tools', 'bin', 'opa-envoy-plugin')],
] as const;

for (const [name, binary] of BINARIES)
  test(`decision logs the server receives from a real OPA sidecar (${name}) carry no request header; the decisions still hold`, async () => {
    const t = await startTestServer();
    const sidecar = await startSidecar({
      serverUrl: t.server.url,
      workflow: WORKFLOW,
      agent: 'color',
      token: t.tokens[`${WORKFLOW}/color`]!,
      keyId: t.keyId,
      publicKeyPem: t.publicKeyPem,
      ...(binary ? { binary } : {}),
    });
    try {
      await eventually(
        () => sidecar.revision(),
        (r) => r !== undefined,
        15_000,
        `activation (${sidecar.logs()})`,
      );
      assert.is(await sidecar.decide(input(VFX2, 'POST', '/api/color')), true, 'an allowed flow is allowed');
      assert.is(await sidecar.decide(input(OWNER, 'GET', '/api/color')), false, 'a missing flow is denied');

      // One file per agent: decisions.<workflow>.<agent>.jsonl beside the configured name.
      const file = path.join(t.dir, `decisions.${WORKFLOW}.color.jsonl`);
      const read = () => {
        try {
          return readFileSync(file, 'utf8');
        } catch {
          return '';
        }
      };
      const text = await eventually(
        async () => read(),
        (s) => s.includes(VFX2) && s.includes(OWNER),
        15_000,
        'both decision-log events at the server',
      );
      for (const secret of ['secret-bearer-value', 'secret-cookie-value', 'secret-proxy-value', 'secret-api-key-value', 'secret-body-value']) {
        assert.not.ok(text.includes(secret), `${secret} reached the server`);
      }
      const events = text
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              event: {
                input?: { attributes?: { source?: { principal?: string }; request?: { http?: Record<string, unknown> } } };
                result?: unknown;
                erased?: string[];
              };
            },
        );
      const allowed = events.find((e) => e.event.input?.attributes?.source?.principal === VFX2)!;
      assert.is(allowed.event.result, true);
      assert.equal(allowed.event.input!.attributes!.request!.http, { method: 'POST', path: '/api/color' }, 'method and path stay for the rollout view');
      assert.equal([...allowed.event.erased!].sort(), ['/input/attributes/request/http/body', '/input/attributes/request/http/headers']);
      const denied = events.find((e) => e.event.input?.attributes?.source?.principal === OWNER)!;
      assert.is(denied.event.result, false);
    } finally {
      await sidecar.stop();
      await t.server.close();
    }
  });

test.run();
