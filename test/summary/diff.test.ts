/**
 * custody diff: the access-change summary between two revisions of a real Git repository, for
 * every kind of change (golden files in test/golden/diff/, UPDATE_GOLDEN=1 to regenerate and
 * review), the same summary whether the reader gives every file or only those that differ, and
 * the command's own output and exit codes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { desiredTrees } from '../../src/generate/index.js';
import { parseKeys } from '../../src/keys/index.js';
import { openRepository } from '../../src/git/index.js';
import { withSummary } from '../../src/github/index.js';
import { sideOf, summarizeRevisions } from '../../src/gitops/index.js';
import { render, summarize, SUMMARY_END, SUMMARY_START, type ChangeSummary } from '../../src/summary/index.js';
import { loadWorkflows } from '../../src/workflow/index.js';
import { repoPath } from '../helpers/paths.js';
import { custody, git, tempDir } from '../helpers/fixture-repository.js';

const fixture = (name: string) => readFileSync(repoPath('test', 'summary', 'fixtures', name), 'utf8');
const GOLDEN = repoPath('test', 'golden', 'diff');

type Specs = Record<string, string>;

const KEYS = new Map([...readdirSync(repoPath('keys'))].filter((n) => n.endsWith('.pem')).map((n) => [`keys/${n}`, readFileSync(repoPath('keys', n), 'utf8')]));

/** Every file of a repository state: the specs, the keys, and what custody generate writes from them. */
function state(specs: Specs): Map<string, string> {
  const files = new Map<string, string>(KEYS);
  for (const [name, text] of Object.entries(specs)) files.set(`workflows/${name}`, text);
  const loaded = loadWorkflows(Object.entries(specs).map(([name, text]) => ({ file: `workflows/${name}`, text })));
  const keys = parseKeys(new Map([...KEYS].map(([p, t]) => [p.slice('keys/'.length), t])), undefined);
  for (const tree of desiredTrees(loaded.workflows, keys)) for (const [p, text] of tree.files) files.set(`${tree.root}/${p}`, text);
  return files;
}

const BASE: Specs = { 'lab.yaml': fixture('lab.yaml'), 'studio.yaml': fixture('studio.yaml') };

function change(specs: Specs, file: string, from: string, to: string): Specs {
  const text = specs[file]!;
  if (!text.includes(from)) throw new Error(`${file} lacks ${from}`);
  return { ...specs, [file]: text.split(from).join(to) };
}

/** Each kind of change, applied to the base. */
const SCENARIOS: Record<string, () => Specs> = {
  'flow-added': () =>
    change(
      BASE,
      'studio.yaml',
      '    - { from: color, to: owner',
      '    - { from: vfx-2, to: owner, methods: [GET, POST], path: /api/frames/*, when: [{ days: [Mon, Tue, Wed, Thu, Fri], hours: { from: "08:00", to: "17:00" } }] }\n    - { from: color, to: owner',
    ),
  'flow-removed': () => change(BASE, 'studio.yaml', '    - { from: color, to: owner, methods: [POST], path: /api/owner }\n', ''),
  'methods-changed': () => change(BASE, 'studio.yaml', 'to: vfx-1, methods: [POST]', 'to: vfx-1, methods: [POST, PUT]'),
  'path-changed': () => change(BASE, 'studio.yaml', 'path: /api/vfx-2 }', 'path: /api/vfx-2/* }'),
  'condition-changed': () =>
    change(
      change(
        BASE,
        'studio.yaml',
        '[{ hours: { from: "08:00", to: "17:00" } }]',
        '[{ days: [Mon, Tue, Wed, Thu, Fri], hours: { from: "07:00", to: "19:00" } }]',
      ),
      'studio.yaml',
      'path: /api/vfx-1 }',
      'path: /api/vfx-1, until: "2027-03-31T00:00:00Z" }',
    ),
  'condition-removed': () => change(BASE, 'studio.yaml', ', when: [{ hours: { from: "08:00", to: "17:00" } }] }', ' }'),
  'attribute-changed': () => change(BASE, 'studio.yaml', 'attributes: { tenure: 3 }', 'attributes: { tenure: 11 }'),
  'agent-renamed': () => ({ ...BASE, 'studio.yaml': BASE['studio.yaml']!.replace(/vfx-2\b/g, 'compositor') }),
  'agent-added-and-image': () =>
    change(
      change(
        BASE,
        'studio.yaml',
        'color: { image: registry.example/color:5 }',
        'color: { image: registry.example/color:6 }\n        grade: { image: registry.example/grade:1 }',
      ),
      'studio.yaml',
      '    - { from: color, to: owner',
      '    - { from: color, to: grade, methods: [PUT], path: /frames/* }\n    - { from: color, to: owner',
    ),
  'agent-moved': () =>
    change(
      change(BASE, 'studio.yaml', '        vfx-2: { image: registry.example/vfx:2, attributes: { tenure: 12 } }\n', ''),
      'studio.yaml',
      '        color: { image: registry.example/color:5 }',
      '        color: { image: registry.example/color:5 }\n        vfx-2: { image: registry.example/vfx:2, attributes: { tenure: 12 } }',
    ),
  'workflow-renamed': () => change(BASE, 'studio.yaml', 'name: studio\n', 'name: studio-two\n'),
  'workflow-added': () => ({ ...BASE, 'archive.yaml': fixture('archive.yaml') }),
  'workflow-removed': () => ({ 'studio.yaml': BASE['studio.yaml']! }),
  'timezone-changed': () => change(BASE, 'studio.yaml', 'timezone: Europe/Paris', 'timezone: America/New_York'),
  'spec-error': () => change(change(BASE, 'studio.yaml', 'to: vfx-1, methods', 'to: vfx-9, methods'), 'lab.yaml', 'path: /results,', 'path: /results/*,'),
  'comment-only': () => change(BASE, 'studio.yaml', '# The base of', '# Only a comment changes in: the base of'),
};

function writeState(dir: string, files: ReadonlyMap<string, string>): void {
  for (const root of ['workflows', 'bundles', 'generated', 'keys']) rmSync(path.join(dir, root), { recursive: true, force: true });
  for (const [p, text] of files) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), text);
  }
}

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`no golden file ${name}: run UPDATE_GOLDEN=1 npm test and review it`);
  }
  assert.fixture(actual, expected, name);
}

/** Summary from the in-memory states, every file given on both sides. */
function fullSummary(base: ReadonlyMap<string, string>, head: ReadonlyMap<string, string>): ChangeSummary {
  const side = (files: ReadonlyMap<string, string>) =>
    sideOf(
      [...files].filter(([p]) => p.startsWith('workflows/')).map(([file, text]) => ({ file, text })),
      new Map([...files].filter(([p]) => p.startsWith('bundles/') || p.startsWith('generated/'))),
    );
  return summarize(side(base), side(head));
}

interface History {
  dir: string;
  base: string;
  heads: Record<string, string>;
  states: Record<string, Map<string, string>>;
  baseState: Map<string, string>;
}
let history: History | undefined;

/** One repository holding the base and, on top of one another, every scenario's head. */
function repository(): History {
  if (history) return history;
  const dir = tempDir('diff');
  git(dir, 'init', '-q', '-b', 'main');
  const baseState = state(BASE);
  writeState(dir, baseState);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  const base = git(dir, 'rev-parse', 'HEAD');
  const heads: Record<string, string> = {};
  const states: Record<string, Map<string, string>> = {};
  for (const [name, make] of Object.entries(SCENARIOS)) {
    const s = state(make());
    states[name] = s;
    writeState(dir, s);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '--allow-empty', '-m', name);
    heads[name] = git(dir, 'rev-parse', 'HEAD');
  }
  return (history = { dir, base, heads, states, baseState });
}

for (const name of Object.keys(SCENARIOS)) {
  test(`diff golden: ${name}`, async () => {
    const h = repository();
    const { summary } = await summarizeRevisions(openRepository(h.dir), h.base, h.heads[name]!);
    // The reader reads only what differs; the summary is the one every file gives.
    const { generated, ...rest } = summary;
    assert.equal(rest, fullSummary(h.baseState, h.states[name]!));
    // Every tree here is what custody generate writes: nothing to flag (nothing checkable with a spec error).
    assert.equal(
      generated,
      name === 'spec-error' ? { checked: false, reason: 'the specs have errors (workflows/studio.yaml)', files: [] } : { checked: true, files: [] },
    );
    golden(`${name}.txt`, render(summary, 'text'));
    golden(`${name}.md`, render(summary, 'markdown'));
    golden(`${name}.json`, render(summary, 'json'));
  });
}

test('what the summaries say, in words (beyond the golden files)', async () => {
  const h = repository();
  const words = async (name: string) => {
    const { summary } = await summarizeRevisions(openRepository(h.dir), h.base, h.heads[name]!);
    return { summary, text: render(summary, 'text') };
  };
  const added = await words('flow-added');
  assert.match(added.text, '+ vfx-2 may now GET and POST /api/frames/* to owner, Mon–Fri 08:00–17:00 Europe/Paris');
  assert.equal(added.summary.counts.access, { added: 2, changed: 0, removed: 0 });
  assert.equal(
    added.summary.bundles.map((b) => `${b.workflow}/${b.agent}:${b.status}`),
    ['studio/owner:changed'],
  );
  // The receiver's cluster gets the ALLOW; the sender's, the callee's host in its Sidecar. The
  // fixture's clusters publish no east-west gateway: no ServiceEntry and no egress to route it.
  assert.equal(
    added.summary.manifests.map((m) => [m.tree, m.added, m.changed, m.removed]),
    [
      ['clusters/studio-central', 1, 1, 0],
      ['clusters/vfx-central', 0, 1, 0],
    ],
  );
  assert.equal(
    added.summary.manifests.flatMap((m) => m.objects.filter((o) => o.change === 'added').map((o) => `${o.kind} ${o.namespace}/${o.name}`)),
    ['AuthorizationPolicy studio/allow-vfx-2-to-owner'],
  );
  assert.match((await words('flow-removed')).text, '- color may no longer POST /api/owner to owner');
  assert.match((await words('path-changed')).text, '~ vfx-1 may now POST /api/vfx-2/* to vfx-2 instead of /api/vfx-2');
  const renamed = await words('agent-renamed');
  assert.match(renamed.text, '* agent vfx-2 renamed compositor: its mesh identity becomes spiffe://cluster.local/ns/studio/sa/compositor');
  // A rename is not every flow removed and added again: only the path that was renamed with it.
  assert.equal(
    renamed.summary.workflows[0]!.access.map((a) => a.text),
    ['vfx-1 may now POST /api/compositor to compositor instead of /api/vfx-2; data moves vfx-1 → compositor, and back in responses'],
  );
  const attribute = await words('attribute-changed');
  assert.match(attribute.text, 'vfx-1 may now POST /api/color to color at any time (before: Sat) (as written: (tenure > 10 or Sat))');
  assert.match(attribute.text, 'agent vfx-1 attributes: tenure 3 → 11');
  const wf = await words('workflow-renamed');
  assert.equal(
    wf.summary.workflows.map((w) => [w.status, w.previousName, w.workflow, w.access.length]),
    [['renamed', 'studio', 'studio-two', 0]],
  );
  const broken = await words('spec-error');
  assert.equal(broken.summary.notCompared, ['workflows/studio.yaml']);
  assert.match(broken.text, '~ analyzer may now POST /results/* to desk');
  assert.is((await words('comment-only')).text, 'No change to access, manifests or policy bundles.\n');
});

test('a new workflow: its organisations, clusters, regions, agents and images, for a reviewer to see who holds the data and where', () => {
  const load = (s: Specs) => loadWorkflows(Object.entries(s).map(([name, text]) => ({ file: `workflows/${name}`, text })));
  const studio = change(
    change(BASE, 'studio.yaml', '{ name: vfx-central }', '{ name: vfx-central, region: ca-central-1 }'),
    'studio.yaml',
    '{ name: color-central }',
    '{ name: color-central, region: eu-west-3 }',
  );
  const summary = summarize(
    { workflows: load({ 'lab.yaml': BASE['lab.yaml']! }).workflows, files: new Map() },
    { workflows: load(studio).workflows, files: new Map() },
  );
  const text = render(summary, 'text').split('\n');
  assert.equal(text.slice(0, 5), [
    'Access changes',
    '  studio: new workflow studio: owner studio, 4 agents, 5 flows; organisations color, studio and vfx; clusters color-central, studio-central and vfx-central; regions ca-central-1 and eu-west-3',
    '    = organisation studio (owner): cluster studio-central, no region given; agent owner (registry.example/owner:1)',
    '    = organisation color: cluster color-central, region eu-west-3; agent color (registry.example/color:5)',
    '    = organisation vfx: cluster vfx-central, region ca-central-1; agents vfx-1 (registry.example/vfx:2) and vfx-2 (registry.example/vfx:2)',
  ]);
  assert.match(
    render(summary, 'markdown'),
    '- organisation vfx: cluster vfx-central, region ca-central-1; agents vfx-1 (`registry.example/vfx:2`) and vfx-2 (`registry.example/vfx:2`)\n',
  );
  assert.equal(summary.workflows[0]!.participants?.[2], {
    actor: 'vfx',
    owner: false,
    cluster: 'vfx-central',
    region: 'ca-central-1',
    agents: [
      { name: 'vfx-1', image: 'registry.example/vfx:2' },
      { name: 'vfx-2', image: 'registry.example/vfx:2' },
    ],
  });
});

test('text lists each changed object of each tree, not only the counts', async () => {
  const h = repository();
  const { summary } = await summarizeRevisions(openRepository(h.dir), h.base, h.heads['flow-added']!);
  assert.ok(
    render(summary, 'text').endsWith(
      [
        // The fixture's clusters publish no east-west gateway: the sender gets no ServiceEntry.
        'Manifests (generated/): 1 added, 2 changed, 0 removed',
        '  clusters/studio-central  1 added, 1 changed, 0 removed',
        '    + AuthorizationPolicy studio/allow-vfx-2-to-owner',
        '    ~ Kustomization generated/clusters/studio-central/studio/kustomization.yaml',
        '  clusters/vfx-central     0 added, 1 changed, 0 removed',
        '    ~ Sidecar studio/vfx-2',
        'Policy bundles (bundles/): 1 changed',
        '  studio/owner: changed (data.json)',
        '',
      ].join('\n'),
    ),
    render(summary, 'text'),
  );
});

test('"as written" shows only what the attributes simplified, never the dates again', () => {
  const load = (s: Specs) => loadWorkflows(Object.entries(s).map(([name, text]) => ({ file: `workflows/${name}`, text })));
  const specs = change(BASE, 'studio.yaml', '      path: /api/color\n', '      path: /api/color\n      until: "2027-03-31T00:00:00Z"\n');
  const summary = summarize({ workflows: load(BASE).workflows, files: new Map() }, { workflows: load(specs).workflows, files: new Map() });
  assert.is(
    render(summary, 'text'),
    [
      'Access changes',
      '  studio',
      '    ~ vfx-1 may now POST /api/color to color only Sat, until 2027-03-31T00:00:00Z (before: Sat) (as written: (tenure > 10 or Sat)); data moves vfx-1 → color, and back in responses',
      '',
    ].join('\n'),
  );
});

test('Markdown: free text from a spec (attribute names and values, conditions) reads as written, never as HTML, Markdown or a summary marker', () => {
  // Both pass custody check (the second alternative only warns that it can never hold).
  const note = '<!-- custody-summary:end --> <!--';
  const fancy = '*a* | `b` <img src=x> [l](http://x) ~~s~~ $m$ \\ &lt;';
  const specs = change(
    change(
      change(BASE, 'studio.yaml', 'attributes: { tenure: 3 }', `attributes: { tenure: 3, note: ${JSON.stringify(note)} }`),
      'studio.yaml',
      'attributes: { tenure: 12 }',
      `attributes: { tenure: 12, note: ${JSON.stringify(fancy)} }`,
    ),
    'studio.yaml',
    '    - { from: color, to: owner',
    `    - { from: vfx-2, to: owner, methods: [GET], path: /api/notes, when: [{ attribute: note, equals: ${JSON.stringify(fancy)} }, { attribute: "<!--x|y", equals: 1 }] }\n    - { from: color, to: owner`,
  );
  const load = (s: Specs) => loadWorkflows(Object.entries(s).map(([name, text]) => ({ file: `workflows/${name}`, text })));
  const head = load(specs);
  assert.equal(
    head.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const summary = summarize({ workflows: load(BASE).workflows, files: new Map() }, { workflows: head.workflows, files: new Map() });
  // Plain text says it as written.
  const text = render(summary, 'text');
  assert.match(text, `* agent vfx-1 attributes: note (none) → ${JSON.stringify(note)}`);
  assert.match(text, `(as written: (note = ${JSON.stringify(fancy)} or <!--x|y = 1))`);
  const md = render(summary, 'markdown');
  assert.not.match(md, '<!--');
  // No HTML but Custody's own, every `<` from the spec a character reference; Markdown's punctuation escaped.
  // (In a change diagram, `<br>` is Mermaid's line break, Custody's own; a `<` from the spec is `#60;` there.)
  const diagrams = md.replace(/```mermaid\n[\s\S]*?\n```/g, (block) => block.replace(/<br>/g, ''));
  assert.not.match(diagrams.replace(/<\/?(details|summary|sub|code)>/g, ''), '<');
  assert.match(
    md,
    '  a3 -->|"GET /api/notes<br>#9670; note = #34;#42;a#42; #124; #96;b#96; #60;img src=x#62; #91;l#93;(http://x) #126;#126;s#126;#126; #36;m#36; #92;#92; #38;lt#59;#34; or #9670; #60;#33;--x#124;y = 1"| a1\n',
  );
  assert.match(md, '- agent vfx-1 attributes: note (none) → "&lt;!-- custody-summary:end --> &lt;!--"');
  assert.match(md, '- agent vfx-2 attributes: note (none) → "\\*a\\* \\| \\`b\\` &lt;img src=x> \\[l\\](http\\://x) \\~\\~s\\~\\~ \\$m\\$ \\\\\\\\ &amp;lt;"');
  assert.match(md, '- vfx-2 **may now** `GET` `/api/notes` from owner (as written: (note = "\\*a\\*');
  assert.match(md, 'or &lt;!--x\\|y = 1))');
  // The pull request's description, updated three times: one summary section, the same length each time.
  let body = 'Why: the notes.\n';
  const lengths: number[] = [];
  for (let i = 0; i < 3; i++) {
    body = withSummary(body, md);
    lengths.push(body.length);
  }
  assert.is(new Set(lengths).size, 1, String(lengths));
  assert.is(body.split(SUMMARY_START).length, 2);
  assert.is(body.split(SUMMARY_END).length, 2);
  assert.is(body.split('<!--').length, 3);
  assert.ok(body.startsWith('Why: the notes.\n\n'), body);
});

test('Markdown: spec text mentions nobody, links no issue, makes no link; plain text: no control or bidi character reaches the terminal', () => {
  const value = 'cc @octocat @github/security-team, see https://evil.example/ok and www.evil.example, mailto:x@y.example #1 \u202egnp.exe \u001b[8m';
  const specs = change(BASE, 'studio.yaml', 'attributes: { tenure: 3 }', `attributes: { tenure: 3, note: ${JSON.stringify(value)} }`);
  const load = (s: Specs) => loadWorkflows(Object.entries(s).map(([name, text]) => ({ file: `workflows/${name}`, text })));
  const summary = summarize({ workflows: load(BASE).workflows, files: new Map() }, { workflows: load(specs).workflows, files: new Map() });
  const md = render(summary, 'markdown');
  const line = md.split('\n').find((l) => l.includes('attributes: note'))!;
  // A mention or an issue reference needs @ or # right before the name; an autolink, "scheme://", "www." or "mailto:".
  assert.not.match(line, /[@#][A-Za-z0-9]/);
  assert.not.match(line, /https?:\/\//);
  assert.not.match(line, /www\./i);
  assert.not.match(line, /mailto:/);
  assert.not.match(line, /[\u202a-\u202e\u2066-\u2069\u0000-\u001f]/);
  assert.match(line, '\\\\u202egnp.exe');
  // What it shows once rendered, zero-width spaces aside: the value as written (escapes removed).
  const shown = line
    .replace(/\u200b/g, '')
    .replace(/\\([\\`*[\]|~$_:.])/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&');
  assert.match(shown, 'cc @octocat @github/security-team, see https://evil.example/ok and www.evil.example, mailto:x@y.example #1 \\u202egnp.exe \\u001b[8m');
  const text = render(summary, 'text');
  assert.not.match(text, /[\u202a-\u202e\u001b]/);
  assert.match(text, '\\u202egnp.exe \\u001b[8m');
});

test('custody diff: text, Markdown and JSON with the revisions named; exit codes', async () => {
  const h = repository();
  const head = h.heads['flow-added']!;
  const md = await custody(['diff', '--base', h.base, '--head', head, '--markdown'], h.dir);
  assert.is(md.code, 0, md.stderr);
  assert.ok(md.stdout.startsWith(readFileSync(path.join(GOLDEN, 'flow-added.md'), 'utf8')), md.stdout);
  assert.match(md.stdout, `<sub>From \`${h.base.slice(0, 12)}\` (${h.base}) to \`${head.slice(0, 12)}\` (${head}), by custody diff.</sub>`);
  git(h.dir, 'tag', 'flow-added', head);
  git(h.dir, 'branch', '-f', 'base', h.base);
  const text = await custody(['diff', '--base', 'base', '--head', 'flow-added'], h.dir);
  assert.is(text.code, 0, text.stderr);
  assert.is(
    text.stdout,
    `Changes from base (${h.base.slice(0, 12)}) to flow-added (${head.slice(0, 12)})\n\n${readFileSync(path.join(GOLDEN, 'flow-added.txt'), 'utf8')}`,
  );
  const json = await custody(['diff', '--base', `${h.heads['flow-removed']!.slice(0, 10)}~1`, '--head', h.heads['flow-removed']!.slice(0, 8), '--json'], h.dir);
  assert.is(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { base: { commit: string }; head: { commit: string }; counts: unknown };
  assert.is(parsed.base.commit, h.heads['flow-added']);
  assert.is(parsed.head.commit, h.heads['flow-removed']);
  // HEAD by default; HEAD^1 and HEAD~N as in Git.
  const last = Object.keys(SCENARIOS).at(-1)!;
  const previous = Object.keys(SCENARIOS).at(-2)!;
  const byParent = await custody(['diff', '--base', 'HEAD^1', '--json'], h.dir);
  assert.is((JSON.parse(byParent.stdout) as { head: { commit: string } }).head.commit, h.heads[last]);
  assert.is((JSON.parse(byParent.stdout) as { base: { commit: string } }).base.commit, h.heads[previous]);
  const errors = await custody(['diff', '--base', h.base, '--head', h.heads['spec-error']!], h.dir);
  assert.is(errors.code, 1);
  assert.match(errors.stderr, 'not compared, the spec has errors in one of the revisions: workflows/studio.yaml');
  for (const [args, pattern] of [
    [['diff'], /--base REF is required/],
    [['diff', '--base', 'nope'], /error\[unknown-revision\]: "nope" names no commit/],
    [['diff', '--base', 'HEAD~999'], /error\[unknown-revision\]: HEAD~999: commit [0-9a-f]{12} has no parent/],
    [['diff', '--base', 'HEAD', '--json', '--markdown'], /exclude each other/],
  ] as const) {
    const r = await custody([...args], h.dir);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  }
  const outside = await custody(['diff', '--base', 'HEAD'], tempDir('nogit'));
  assert.is(outside.code, 2);
  assert.match(outside.stderr, 'error[not-a-repository]');
});

test('the words say which way data moves: a GET takes from the callee, a POST sends to it and gets a response, a DELETE only sends', async () => {
  const { accessWords } = await import('../../src/summary/words.js');
  const grant = { kind: 'added' as const, from: 'audit-review', to: 'ledger', path: '/api/evidence/*', condition: null };
  assert.is(accessWords({ ...grant, methods: ['GET'] }), 'audit-review may now GET /api/evidence/* from ledger; data moves ledger → audit-review');
  assert.is(
    accessWords({ ...grant, methods: ['POST'] }),
    'audit-review may now POST /api/evidence/* to ledger; data moves audit-review → ledger, and back in responses',
  );
  assert.is(accessWords({ ...grant, methods: ['DELETE'] }), 'audit-review may now DELETE /api/evidence/* to ledger; data moves audit-review → ledger');
  assert.is(accessWords({ ...grant, kind: 'removed', methods: ['GET'] }), 'audit-review may no longer GET /api/evidence/* from ledger');
});

test.run();
