/**
 * The bundle server with real OPA sidecars: download, signature verification, activation,
 * decisions as the matrix says, status back to the server, long polling after a commit, a
 * failing build that leaves the last good bundle in force, and decision logs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { accessMatrix, matrixAt, probePath } from '../../src/policy/index.js';
import { commitAll } from '../helpers/git-repo.js';
import { envoyInput } from '../helpers/opa.js';
import { startTestServer } from '../helpers/server.js';
import { eventually, startSidecar } from '../helpers/sidecar.js';
import { exampleWorkflows } from '../helpers/workflows.js';

const movie = exampleWorkflows().find((w) => w.name === 'movie-post-production')!;

test('real OPA sidecars fetch, verify and enforce their bundles; the server sees what each enforces; commits reach them by long polling', async () => {
  const t = await startTestServer();
  const agents = ['color', 'owner', 'vfx-2'];
  const sidecars = await Promise.all(
    agents.map((agent) =>
      startSidecar({
        serverUrl: t.server.url,
        workflow: movie.name,
        agent,
        token: t.tokens[`${movie.name}/${agent}`]!,
        keyId: t.keyId,
        publicKeyPem: t.publicKeyPem,
      }),
    ),
  );
  try {
    const first = t.server.catalog.status().head!.commit;
    for (const s of sidecars)
      await eventually(
        () => s.revision(),
        (r) => r === first,
        15_000,
        `activation (${s.logs()})`,
      );

    // Decisions at this instant, for every triple towards these agents, equal the matrix's.
    const now = BigInt(Date.now()) * 1_000_000n;
    const cells = matrixAt(movie, accessMatrix(movie), now).filter((c) => agents.includes(c.to));
    assert.is(cells.length, 3 * 6 * 2);
    const principal = (name: string) => movie.agents.find((a) => a.name === name)!.principal;
    for (const cell of cells) {
      const sidecar = sidecars[agents.indexOf(cell.to)]!;
      const flowPath = movie.flows.find((f) => f.to === cell.to)!.path;
      const decision = await sidecar.decide(envoyInput(principal(cell.from), cell.method, cell.rules[0] ? probePath(cell.rules[0].path) : flowPath));
      assert.is(decision, cell.decision === 'allow', `${cell.from} -> ${cell.to} ${cell.method}`);
    }

    // The owner sees which revision each sidecar enforces.
    const admin = { authorization: `Bearer ${t.adminToken}` };
    const view = await eventually(
      async () =>
        (await (await fetch(`${t.server.url}/api/rollout`, { headers: admin })).json()) as {
          agents: { agent: string; inSync: boolean; sidecars: { activeRevision?: string }[] }[];
        },
      (v) => agents.every((a) => v.agents.find((x) => x.agent === a)?.inSync),
      10_000,
      'status reports',
    );
    assert.equal(
      view.agents.find((a) => a.agent === 'color')!.sidecars.map((s) => s.activeRevision),
      [first],
    );
    assert.is(view.agents.find((a) => a.agent === 'hdr')!.inSync, false, 'no sidecar for hdr');

    // A commit that changes color's policy reaches its waiting sidecar by long polling; the
    // others' bundles did not change and are not rebuilt.
    const data = path.join(t.repo, 'bundles', movie.name, 'color', 'data.json');
    writeFileSync(data, readFileSync(data, 'utf8').replace('"/api/color"', '"/api/color/v2"'));
    const started = Date.now();
    const second = commitAll(t.repo, 'color: new path');
    await eventually(
      () => sidecars[0]!.revision(),
      (r) => r === second,
      10_000,
      'the new revision at color',
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 2_000, `the commit reached the sidecar in ${elapsed} ms`);
    assert.is(t.server.catalog.get(movie.name, 'owner')!.revision, first, 'unchanged bundles keep their revision');
    assert.is(await sidecars[0]!.decide(envoyInput(principal('vfx-2'), 'POST', '/api/color/v2')), true);
    assert.is(await sidecars[0]!.decide(envoyInput(principal('vfx-2'), 'POST', '/api/color')), false);

    // A build that fails leaves the last good bundle served and enforced, and says so.
    writeFileSync(data, '{"custody": ');
    const third = commitAll(t.repo, 'color: broken data');
    await eventually(
      async () => t.server.catalog.get(movie.name, 'color')!.failure?.revision,
      (r) => r === third,
      5_000,
      'the build failure',
    );
    const broken = (await (await fetch(`${t.server.url}/api/rollout`, { headers: admin })).json()) as {
      agents: { agent: string; served: { revision: string }; buildError?: { message: string } }[];
    };
    const color = broken.agents.find((a) => a.agent === 'color')!;
    assert.is(color.served.revision, second);
    assert.match(color.buildError!.message, /data\.json/);
    await new Promise((r) => setTimeout(r, 500));
    assert.is(await sidecars[0]!.revision(), second, 'the sidecar keeps enforcing the last good revision');

    // Decision logs arrive (gzip), and the denial shows in the rollout view.
    await sidecars[0]!.decide(envoyInput(principal('owner'), 'GET', '/api/color/v2'));
    const denied = await eventually(
      async () =>
        (
          (await (await fetch(`${t.server.url}/api/rollout`, { headers: admin })).json()) as {
            agents: { agent: string; recentDenials: { source?: string; method?: string; path?: string }[] }[];
          }
        ).agents.find((a) => a.agent === 'color')!.recentDenials,
      (d) => d.some((x) => x.method === 'GET' && x.source === principal('owner')),
      10_000,
      'the denied decision in the rollout view',
    );
    assert.ok(denied.length >= 1);
    const logged = readFileSync(path.join(t.dir, 'decisions.movie-post-production.color.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { custody: { agent: string } });
    assert.ok(logged.some((l) => l.custody.agent === 'color'));
  } finally {
    await Promise.all(sidecars.map((s) => s.stop()));
    await t.server.close();
  }
});

test.run();
