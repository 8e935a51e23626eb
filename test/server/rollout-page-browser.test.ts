/**
 * The rollout page in a real browser against a real server: real OPA sidecars (configured as the
 * generated ones are) for every agent of the movie workflow but one, a request one of them denies,
 * and headless chromium showing each agent's state, the workflow picture coloured, and the denial;
 * and a screenshot of it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { envoyInput } from '../helpers/opa.js';
import { dumpDom, screenshot } from '../helpers/chromium.js';
import { startTestServer } from '../helpers/server.js';
import { eventually, startSidecar, type Sidecar } from '../helpers/sidecar.js';

const WORKFLOW = 'movie-post-production';
const RUNNING = ['color', 'hdr', 'owner', 'vfx-1', 'vfx-2', 'vfx-3'];

test('chromium shows every agent in its state, the picture coloured, and the denial just made', async () => {
  const t = await startTestServer();
  const sidecars: Sidecar[] = [];
  try {
    for (const agent of RUNNING)
      sidecars.push(
        await startSidecar({
          serverUrl: t.server.url,
          workflow: WORKFLOW,
          agent,
          token: t.tokens[`${WORKFLOW}/${agent}`]!,
          keyId: t.keyId,
          publicKeyPem: t.publicKeyPem,
        }),
      );
    const commit = t.server.catalog.status().head!.commit;
    const admin = { authorization: `Bearer ${t.adminToken}` };
    type View = { agents: { workflow: string; agent: string; inSync: boolean; sidecars: { error?: unknown }[]; recentDenials: { path?: string }[] }[] };
    const view = () => fetch(`${t.server.url}/api/rollout`, { headers: admin }).then((r) => r.json() as Promise<View>);
    // In sync as the page says it: every sidecar enforces the served revision and none reports an
    // error (OPA reports a failed download until a later one succeeds, up to a long poll later).
    await eventually(
      view,
      (v) =>
        RUNNING.every((a) => {
          const x = v.agents.find((y) => y.workflow === WORKFLOW && y.agent === a);
          return x?.inSync && x.sidecars.every((s) => s.error === undefined);
        }),
      20_000,
      'every sidecar in sync, without errors',
    );

    // vfx-2 may POST /api/color to color, never GET it: color's sidecar denies, and logs it.
    const denied = await sidecars[0]!.decide(envoyInput(`spiffe://mesh.vfx.example/ns/${WORKFLOW}/sa/vfx-2`, 'GET', '/api/color/denied-here'));
    assert.is(denied, false);
    await eventually(
      view,
      (v) => v.agents.some((a) => a.agent === 'color' && a.recentDenials.some((d) => d.path === '/api/color/denied-here')),
      10_000,
      'the denial in the rollout view',
    );

    const url = `${t.server.url}/#token=${encodeURIComponent(t.adminToken)}`;
    const dom = await dumpDom(url, [], 8000);
    const short = commit.slice(0, 12);
    // Signed in by the fragment: the form hidden, the rollout shown.
    assert.match(dom, '<form id="login" hidden="">');
    assert.match(dom, '<main id="main">');
    // Each row whole, so a failure shows the row the page drew.
    const row = (agent: string) => dom.match(new RegExp(`<tr class="[^"]*" data-agent="${WORKFLOW}/${agent}"[\\s\\S]*?</tr>`))?.[0] ?? `(no row for ${agent})`;
    for (const agent of RUNNING) {
      const drawn = row(agent);
      assert.ok(
        drawn.startsWith(
          `<tr class="agent state-in-sync" data-agent="${WORKFLOW}/${agent}" data-state="in-sync"><td class="agent-name">${agent}</td><td class="state">in sync</td><td>${short}</td><td>${short}</td>`,
        ),
        drawn,
      );
    }
    const sound = row('sound');
    assert.ok(
      sound.startsWith(
        `<tr class="agent state-never" data-agent="${WORKFLOW}/sound" data-state="never"><td class="agent-name">sound</td><td class="state">never reported</td><td>${short}</td><td>–</td>`,
      ),
      sound,
    );
    // The clinical workflow has no sidecar running: each of its six agents never reported.
    assert.is((dom.match(/data-agent="clinical-trial-analysis\/[^"]+" data-state="never"/g) ?? []).length, 6);
    // Grouped: the vfx organisation's one cluster holds its three agents.
    assert.match(
      dom,
      /<h3>vfx<\/h3><h4>cluster vfx-central<\/h4><table class="agents">(?:(?!<\/table>)[\s\S])*vfx-1(?:(?!<\/table>)[\s\S])*vfx-2(?:(?!<\/table>)[\s\S])*vfx-3/,
    );
    // The pictures: each agent's box coloured by its state (in the movie's, a0 is color and a3 sound).
    const movie = dom.slice(dom.indexOf(`<span class="name">${WORKFLOW}</span>`));
    assert.ok(movie.length < dom.length, 'the movie workflow is shown');
    assert.match(movie, /<g id="node\d+" class="node state-in-sync">\s*<title>a0<\/title>/);
    assert.match(movie, /<g id="node\d+" class="node state-never">\s*<title>a3<\/title>/);
    assert.is((movie.match(/class="node state-in-sync"/g) ?? []).length, 6);
    assert.is((movie.match(/class="node state-never"/g) ?? []).length, 1);
    assert.is((dom.match(/class="node state-never"/g) ?? []).length, 6 + 1);
    // The denial just made, with the caller's identity.
    assert.match(
      dom,
      new RegExp(
        `<tr class="denial"><td>[^<]+</td><td>${WORKFLOW}/color</td><td>GET /api/color/denied-here</td><td>spiffe://mesh.vfx.example/ns/${WORKFLOW}/sa/vfx-2</td><td>${short}</td></tr>`,
      ),
    );
    assert.match(dom, `serving ${short}`);

    const file = path.join(mkdtempSync(path.join(tmpdir(), 'custody-page-')), 'rollout.png');
    await screenshot(url, file, 8000);
    const png = readFileSync(file);
    assert.equal([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG signature');
    assert.ok(png.length > 20_000, `a screenshot of ${png.length} bytes`);
  } finally {
    await Promise.all(sidecars.map((s) => s.stop()));
    await t.server.close();
  }
});

test.run();
