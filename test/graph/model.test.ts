/** The graph model of a workflow: boxes, arrows, states and warnings, checked against the specs by hand. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { workflowGraph, type GraphBox, type WorkflowGraph } from '../../src/graph/index.js';
import { parseInstant, type Workflow } from '../../src/workflow/index.js';
import { repoPath } from '../helpers/paths.js';
import { exampleWorkflows, loadOne } from '../helpers/workflows.js';

const [clinical, movie] = exampleWorkflows() as [Workflow, Workflow];
const warnings = loadOne(readFileSync(repoPath('test', 'fixtures', 'warnings.yaml'), 'utf8')).workflows[0]!;

const at = (text: string) => ({ at: { text, ns: (parseInstant(text) as { ns: bigint }).ns } });
const boxTree = (boxes: readonly GraphBox[]): unknown[] =>
  boxes.map((b) => ({ lines: b.lines, ...(b.boxes.length ? { boxes: boxTree(b.boxes) } : {}), agents: b.agents.map((a) => [a.name, ...a.warnings]) }));
const arrows = (g: WorkflowGraph) => g.flows.map((f) => `${f.from}->${f.to} ${f.state}${f.warning ? ' warning' : ''}`);
const agentNames = (g: WorkflowGraph) =>
  new Map(
    g.boxes.flatMap(function all(b): [string, string][] {
      return [...b.agents.map((a) => [a.id, a.name] as [string, string]), ...b.boxes.flatMap(all)];
    }),
  );

test('the movie workflow: the owner first, one box per organisation titled with its cluster', () => {
  const g = workflowGraph(movie);
  assert.is(g.title, 'movie-post-production · owner studio · times in Europe/Paris');
  assert.equal(boxTree(g.boxes), [
    { lines: ['studio ★ owner', 'cluster studio-central · us-central1'], agents: [['owner']] },
    { lines: ['color', 'cluster color-central · us-central1'], agents: [['color']] },
    { lines: ['hdr', 'cluster hdr-west · us-west2'], agents: [['hdr']] },
    { lines: ['sound', 'cluster sound-west · us-west2'], agents: [['sound']] },
    { lines: ['vfx', 'cluster vfx-central · us-central1'], agents: [['vfx-1'], ['vfx-2'], ['vfx-3']] },
  ]);
  assert.equal(
    g.boxes.map((b) => b.owner),
    [true, false, false, false, false],
  );
});

test('the movie workflow: one arrow per flow in spec order, conditions compact, states from the matrix', () => {
  const g = workflowGraph(movie);
  assert.equal(
    g.flows.map((f) => f.lines),
    [
      ['POST /api/vfx-1'],
      ['POST /api/vfx-2'],
      ['POST /api/vfx-3'],
      ['POST /api/color', '◆ tenure > 10 or ◷ 08:00–17:00'],
      ['POST /api/sound'],
      ['POST /api/hdr'],
      ['POST /api/owner', '⇥ until 2027-03-31T00:00:00Z'],
      ['POST /api/owner'],
    ],
  );
  // vfx-2 has tenure 12: its flow to color always holds; sound's return ends at a date.
  assert.equal(arrows(g), [
    'owner->vfx-1 always',
    'vfx-1->vfx-2 always',
    'vfx-1->vfx-3 always',
    'vfx-2->color always',
    'vfx-3->sound always',
    'color->hdr always',
    'sound->owner conditional',
    'hdr->owner always',
  ]);
  const names = agentNames(g);
  assert.equal(
    g.flows.map((f) => `${names.get(f.source)}->${names.get(f.target)}`),
    g.flows.map((f) => `${f.from}->${f.to}`),
  );
  assert.equal(
    g.flows.map((f) => f.toOwner),
    [false, false, false, false, false, false, true, true],
  );
});

test('the clinical workflow: a shared cluster is one marked box around its organisations', () => {
  const g = workflowGraph(clinical);
  assert.equal(boxTree(g.boxes), [
    { lines: ['sponsor ★ owner', 'cluster sponsor-prod · us-east1'], agents: [['data-manager'], ['safety-desk']] },
    {
      lines: ['cluster shared-eu · europe-west4', '⚠ shared by biostat, lab'],
      boxes: [
        { lines: ['biostat'], agents: [['stats-runner']] },
        { lines: ['lab'], agents: [['lab-analyzer'], ['lab-ingest']] },
      ],
      agents: [],
    },
    { lines: ['site', 'cluster site-boston · us-east1'], agents: [['site-portal']] },
  ]);
  assert.equal(
    g.boxes.map((b) => [b.kind, b.warning]),
    [
      ['actor', false],
      ['cluster', true],
      ['actor', false],
    ],
  );
  assert.equal(g.flows[1]!.lines, [
    'POST /samples',
    '◷ Mon–Fri 07:00–19:00 ◆ role = "investigator"',
    '↦ from 2026-01-15T00:00:00-05:00',
    '⇥ until 2027-06-30T00:00:00Z',
  ]);
  assert.equal(g.flows[3]!.lines, ['POST /results', '◷ 22:00–06:00 or ◷ Sat,Sun']);
  assert.equal(arrows(g), [
    'data-manager->site-portal always',
    'site-portal->lab-ingest conditional',
    'lab-ingest->lab-analyzer always',
    'lab-analyzer->stats-runner conditional',
    'stats-runner->data-manager always',
    'data-manager->stats-runner always',
    'lab-analyzer->safety-desk always',
    'site-portal->safety-desk always',
  ]);
});

test('--at: flows closed at the instant are closed, the others open, and the title says when', () => {
  // Saturday 2026-11-21 12:00 in New York: no samples at weekends, results flow at weekends.
  const sat = workflowGraph(clinical, at('2026-11-21T17:00:00Z'));
  assert.is(sat.title, 'clinical-trial-analysis · owner sponsor · times in America/New_York · at 2026-11-21T17:00:00Z');
  assert.equal(
    sat.flows.map((f) => f.state),
    ['open', 'closed', 'open', 'open', 'open', 'open', 'open', 'open'],
  );
  // Monday 2026-11-23 12:00 in New York: samples flow, results wait for the night.
  const mon = workflowGraph(clinical, at('2026-11-23T17:00:00Z'));
  assert.equal(
    mon.flows.map((f) => f.state),
    ['open', 'open', 'open', 'closed', 'open', 'open', 'open', 'open'],
  );
  // After the sound contract ended, before the samples started.
  assert.equal(
    workflowGraph(movie, at('2027-03-31T00:00:00Z')).flows.map((f) => f.state),
    ['open', 'open', 'open', 'open', 'open', 'open', 'closed', 'open'],
  );
  assert.is(workflowGraph(clinical, at('2026-01-14T17:00:00Z')).flows[1]!.state, 'closed');
});

test('reviewer warnings are drawn on what they are about', () => {
  const g = workflowGraph(warnings);
  assert.equal(boxTree(g.boxes), [
    { lines: ['home ★ owner', 'cluster home-1'], agents: [['h']] },
    { lines: ['b', 'cluster b-1'], agents: [['b1']] },
    { lines: ['c', 'cluster c-1', '⚠ its process is visible to b'], agents: [['c1']] },
    {
      lines: ['cluster shared-1 · eu-1', '⚠ shared by a, z'],
      boxes: [
        { lines: ['a'], agents: [['a1'], ['a2']] },
        {
          lines: ['z'],
          agents: [
            ['z1', '⚠ unreachable from the owner'],
            ['z2', '⚠ in no flow'],
          ],
        },
      ],
      agents: [],
    },
  ]);
  assert.equal(
    g.boxes.map((b) => b.warning),
    [false, false, true, true],
  );
  assert.equal(arrows(g), [
    'h->a1 always',
    'a1->a2 always warning',
    'a2->a1 always warning',
    'a2->b1 always',
    'b1->c1 always warning',
    'c1->b1 always warning',
    'b1->h always',
    'z1->h always',
  ]);
  assert.equal(g.flows[1]!.lines, ['POST /work', '↻ cycle among contractors']);
});

test('a flow whose source never meets its attribute test is drawn as never holding', () => {
  // The validator rejects such a spec; the model must still say what it is if handed one.
  const flow = { ...movie.flows[3]!, when: [{ attribute: 'tenure', greaterThan: 100 }] };
  const g = workflowGraph({ ...movie, flows: [flow] });
  assert.equal(arrows(g), ['vfx-2->color never warning']);
  assert.equal(g.flows[0]!.lines, ['POST /api/color', '◆ tenure > 100', '⚠ never holds for vfx-2']);
});

test('the same workflow gives the same graph; ids are positions, not names', () => {
  assert.equal(workflowGraph(movie), workflowGraph(movie));
  const ids = [...agentNames(workflowGraph(movie)).keys()].sort();
  assert.equal(ids, ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
});

test.run();
