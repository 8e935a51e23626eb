/**
 * One rule for every sidecar route (bundle, status, decision logs): the caller is an agent of the
 * served catalog, its token comes from the cluster the agent runs in, and a status or log that
 * names an agent names the caller. A forged status would make `custody status` report another
 * cluster's agent in sync; a foreign ServiceAccount would create workflows in the rollout view.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { commitAll, exampleRepository } from '../helpers/git-repo.js';
import { startTestServer } from '../helpers/server.js';
import { clusterIssuers } from '../helpers/service-accounts.js';

const W = 'movie-post-production';

test("bundle, status and logs refuse alike: another cluster's token, a foreign ServiceAccount, an agent not served, a body naming another agent", async () => {
  const repo = exampleRepository();
  rmSync(path.join(repo, 'bundles', W, 'sound'), { recursive: true });
  commitAll(repo, 'sound leaves');
  const issuers = await clusterIssuers(repo, ['color-central', 'hdr-west']);
  const t = await startTestServer({ clusters: issuers.clusters }, repo);
  try {
    const head = t.server.catalog.status().head!.commit;
    const status = (agent: string, labels: Record<string, string> = {}) =>
      JSON.stringify({ labels: { id: `i-${agent}`, version: 'v1', workflow: W, agent, ...labels }, bundles: { custody: { active_revision: head } } });
    const logs = (agent: string, labels: Record<string, string> = {}) =>
      gzipSync(JSON.stringify([{ decision_id: `${agent}-${Math.random()}`, labels: { id: 'i', workflow: W, agent, ...labels }, result: false }]));
    const routes = {
      bundle: (token: string, agent: string) => fetch(`${t.server.url}/bundles/${W}/${agent}.tar.gz`, { headers: { authorization: `Bearer ${token}` } }),
      status: (token: string, agent: string, labels?: Record<string, string>) =>
        fetch(`${t.server.url}/status`, {
          method: 'POST',
          body: status(agent, labels),
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        }),
      logs: (token: string, agent: string, labels?: Record<string, string>) =>
        fetch(`${t.server.url}/logs`, {
          method: 'POST',
          body: logs(agent, labels),
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
        }),
    };
    const each = async (token: string, agent: string, labels?: Record<string, string>) => ({
      bundle: (await routes.bundle(token, agent)).status,
      status: (await routes.status(token, agent, labels)).status,
      logs: (await routes.logs(token, agent, labels)).status,
    });

    const color = await issuers.token({ cluster: 'color-central', account: `${W}:color` });
    assert.equal(await each(color, 'color'), { bundle: 200, status: 200, logs: 200 }, 'the agent, from its own cluster');
    const colorFromHdr = await issuers.token({ cluster: 'hdr-west', account: `${W}:color` });
    assert.equal(await each(colorFromHdr, 'color'), { bundle: 403, status: 403, logs: 403 }, "color's account made in hdr's cluster");
    const kubeSystem = await issuers.token({ cluster: 'color-central', account: 'kube-system:default' });
    assert.equal(await each(kubeSystem, 'default'), { bundle: 403, status: 403, logs: 403 }, 'a ServiceAccount that is no agent');
    assert.equal(await each(t.tokens[`${W}/sound`]!, 'sound'), { bundle: 403, status: 403, logs: 403 }, 'a static token of an agent no longer served');
    assert.equal(await each(t.adminToken, 'color'), { bundle: 403, status: 403, logs: 403 }, 'the admin token is no sidecar');

    const hdr = t.tokens[`${W}/hdr`]!;
    assert.is((await routes.status(hdr, 'color')).status, 403, 'a status naming another agent');
    assert.is((await routes.status(hdr, 'hdr', { workflow: 'clinical-trial-analysis' })).status, 403, 'a status naming another workflow');
    assert.is((await routes.status(hdr, 'hdr', { cluster: 'color-central' })).status, 403, 'a status naming another cluster');
    assert.is((await routes.logs(hdr, 'color')).status, 403, 'decision logs naming another agent');
    assert.is((await routes.status(hdr, 'hdr')).status, 200);

    const view = (await (await fetch(`${t.server.url}/api/rollout`, { headers: { authorization: `Bearer ${t.adminToken}` } })).json()) as {
      agents: { workflow: string; agent: string; sidecars: { instance: string }[] }[];
    };
    assert.equal([...new Set(view.agents.map((a) => a.workflow))].sort(), ['clinical-trial-analysis', W], 'no workflow made up by a caller');
    assert.equal(
      view.agents.find((a) => a.agent === 'color')!.sidecars.map((s) => s.instance),
      ['i-color'],
      "only color's own report",
    );
    assert.equal(
      view.agents.find((a) => a.agent === 'hdr')!.sidecars.map((s) => s.instance),
      ['i-hdr'],
    );
    assert.is(t.server.observations.statusOf('kube-system/default').length, 0);
  } finally {
    await t.server.close();
  }
});

test('an agent whose bundle names no cluster is refused to every ServiceAccount token, and that is logged once', async () => {
  const repo = exampleRepository();
  const manifest = path.join(repo, 'bundles', W, 'color', '.manifest');
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as { metadata: Record<string, string> };
  delete m.metadata.cluster;
  writeFileSync(manifest, `${JSON.stringify(m, null, 2)}\n`);
  commitAll(repo, 'color without its cluster');
  const issuers = await clusterIssuers(repo, ['color-central', 'hdr-west']);
  const t = await startTestServer({ clusters: issuers.clusters }, repo);
  try {
    const bundle = async (token: string) =>
      (await fetch(`${t.server.url}/bundles/${W}/color.tar.gz`, { headers: { authorization: `Bearer ${token}` } })).status;
    const fromHdr = await issuers.token({ cluster: 'hdr-west', account: `${W}:color` });
    const fromColor = await issuers.token({ cluster: 'color-central', account: `${W}:color` });
    assert.is(await bundle(fromHdr), 403, "another cluster's token");
    assert.is(await bundle(fromColor), 403, 'no binding, no cluster to trust');
    assert.is(await bundle(fromHdr), 403);
    assert.is((await fetch(`${t.server.url}/status`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${fromColor}` } })).status, 403);
    assert.is(t.logs.filter((l) => /^error: .*color.*names no cluster/.test(l)).length, 1, t.logs.join('\n'));
    assert.is(await bundle(t.tokens[`${W}/color`]!), 200, "a static token is the agent's own secret, bound to no cluster");
  } finally {
    await t.server.close();
  }
});

test.run();
