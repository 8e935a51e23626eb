/**
 * The generated bundles, run in the real OPA: every triple of the access matrix at instants on
 * both sides of every time window, DST change and validity bound, plus paths just inside and
 * outside each flow and forged identities. OPA must decide exactly as the matrix says.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderBundles, writeTree } from '../../src/generate/index.js';
import { accessMatrix } from '../../src/policy/index.js';
import { loadWorkflows } from '../../src/workflow/index.js';
import { sampleInstants } from '../helpers/instants.js';
import { evalCases, opa } from '../helpers/opa.js';
import { repoPath } from '../helpers/paths.js';
import { probesFor } from '../helpers/probes.js';
import { exampleWorkflows } from '../helpers/workflows.js';

const workflows = exampleWorkflows();

test('the examples are the two committed workflows, with N(N-1)M triples each', () => {
  assert.equal(
    workflows.map((w) => w.name),
    ['clinical-trial-analysis', 'movie-post-production'],
  );
  for (const w of workflows) {
    const m = accessMatrix(w);
    const n = w.agents.length;
    assert.is(m.cells.length, n * (n - 1) * m.methods.length);
  }
});

for (const workflow of workflows) {
  test(`real OPA decides as the matrix for every triple of ${workflow.name}`, async () => {
    const instants = sampleInstants(workflow);
    assert.ok(instants.length > 100, 'enough instants sampled');
    let allowed = 0;
    let denied = 0;
    for (const agent of workflow.agents) {
      const probes = probesFor(workflow, agent.name, instants);
      // The committed bundle directory, as the bundle server will read it from Git.
      const decisions = await evalCases(repoPath('bundles', workflow.name, agent.name), probes);
      const wrong = probes.filter((p, i) => decisions[i] !== p.expected);
      assert.equal(
        wrong.slice(0, 5).map((p) => `${p.label}: expected ${p.expected}`),
        [],
        `${wrong.length} of ${probes.length} decisions differ for ${agent.name}`,
      );
      allowed += probes.filter((p) => p.expected).length;
      denied += probes.filter((p) => !p.expected).length;
    }
    // Both outcomes are exercised, so the comparison cannot pass by a constant answer.
    assert.ok(allowed > 100 && denied > 100, `allowed ${allowed}, denied ${denied}`);
  });
}

test('real OPA decides as the reference semantics on the conditions fixture (Lord Howe DST, wrapping windows, ns bounds)', async () => {
  const r = loadWorkflows([{ file: 'conditions.yaml', text: readFileSync(repoPath('test', 'fixtures', 'conditions.yaml'), 'utf8') }]);
  const workflow = r.workflows[0]!;
  const out = mkdtempSync(path.join(tmpdir(), 'custody-fixture-'));
  await writeTree(out, renderBundles([workflow]));
  const instants = sampleInstants(workflow);
  for (const agent of workflow.agents) {
    const probes = probesFor(workflow, agent.name, instants);
    const decisions = await evalCases(path.join(out, 'bundles', workflow.name, agent.name), probes);
    const wrong = probes.filter((p, i) => decisions[i] !== p.expected);
    assert.equal(
      wrong.slice(0, 5).map((p) => `${p.label}: expected ${p.expected}`),
      [],
      `${wrong.length} of ${probes.length} differ for ${agent.name}`,
    );
  }
});

test('every committed bundle directory builds with opa build and passes opa check --strict', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'custody-build-'));
  for (const w of workflows) {
    for (const agent of w.agents) {
      const dir = repoPath('bundles', w.name, agent.name);
      await opa(['build', '-b', dir, '-o', path.join(out, `${w.name}-${agent.name}.tar.gz`)]);
      await opa(['check', '--strict', '-b', dir]);
    }
  }
});

test('a bundle holds only the flows to its agent (least privilege)', async () => {
  const tree = renderBundles(workflows);
  const out = mkdtempSync(path.join(tmpdir(), 'custody-lp-'));
  await writeTree(out, tree);
  const movie = workflows.find((w) => w.name === 'movie-post-production')!;
  const { stdout } = await opa(['eval', '-f', 'raw', '-b', path.join(out, 'bundles', movie.name, 'color'), 'data.custody.agent.sources']);
  const sources = JSON.parse(stdout) as Record<string, { agent: string; attributes: object; flows: { path: string }[] }>;
  assert.equal(
    Object.values(sources).map((s) => s.agent),
    ['vfx-2'],
  );
  assert.equal(
    Object.values(sources)[0]!.flows.map((f) => f.path),
    ['/api/color'],
  );
  const hdr = JSON.parse((await opa(['eval', '-f', 'raw', '-b', path.join(out, 'bundles', movie.name, 'hdr'), 'data.custody.agent.sources'])).stdout) as Record<
    string,
    { attributes: object }
  >;
  // vfx agents' tenure is read only by color's sidecar.
  assert.equal(
    Object.values(hdr).map((s) => s.attributes),
    [{}],
  );
});

test('malformed input is denied, never an error', async () => {
  const movie = workflows.find((w) => w.name === 'movie-post-production')!;
  const vfx2 = movie.agents.find((a) => a.name === 'vfx-2')!.principal;
  const inputs = [
    {},
    { attributes: {} },
    { attributes: { source: { principal: vfx2 } } },
    { attributes: { source: { principal: vfx2 }, request: { http: { method: 'POST' } } } },
    { attributes: { source: { principal: 42 }, request: { http: { method: 'POST', path: '/api/color' } } } },
    { attributes: { source: { principal: vfx2 }, request: { http: { method: 'post', path: '/api/color' } } } },
    { attributes: { source: { principal: vfx2 }, request: { http: { method: 'POST', path: 'api/color' } } } },
    { attributes: { source: { principal: vfx2 }, request: { http: { method: ['POST'], path: '/api/color' } } } },
  ];
  const decisions = await evalCases(
    repoPath('bundles', movie.name, 'color'),
    inputs.map((input) => ({ input, nowNs: 1_780_000_000_000_000_000n })),
  );
  assert.equal(
    decisions,
    inputs.map(() => false),
  );
});

test.run();
