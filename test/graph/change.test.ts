/** The change diagram of a pull request: what changed, coloured, with one hop of grey context. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { changeDiagram } from '../../src/graph/index.js';
import type { Workflow } from '../../src/workflow/index.js';
import { repoPath } from '../helpers/paths.js';
import { loadOne } from '../helpers/workflows.js';
import { hostile } from './hostile.js';

const MOVIE = readFileSync(repoPath('workflows', 'movie-post-production.yaml'), 'utf8');
const load = (text: string): Workflow => {
  const r = loadOne(text);
  assert.equal(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return r.workflows[0]!;
};
const movie = load(MOVIE);

test('no change, no diagram', () => {
  assert.is(changeDiagram(movie, load(MOVIE)), undefined);
  // Reordering the flows is no change either.
  assert.is(changeDiagram(movie, { ...movie, flows: [...movie.flows].reverse() }), undefined);
});

test('a changed path: amber with what it was, its neighbours grey, everything else left out', () => {
  const head = load(MOVIE.replace('path: /api/hdr }', 'path: /api/hdr2 }'));
  assert.is(
    changeDiagram(movie, head),
    [
      'flowchart LR',
      '  subgraph b0["color"]',
      '    a0["color"]',
      '  end',
      '  subgraph b1["hdr"]',
      '    a1["hdr"]',
      '  end',
      '  subgraph b2["studio #9733; owner"]',
      '    a2["owner"]',
      '  end',
      '  subgraph b3["vfx"]',
      '    a3["vfx-2"]',
      '  end',
      '  a3 -.->|"POST /api/color<br>#9670; tenure #62; 10 or #9719; 08:00#8211;17:00"| a0',
      '  a0 -->|"POST /api/hdr2<br>was: POST /api/hdr"| a1',
      '  a1 -.->|"POST /api/owner"| a2',
      '  linkStyle 1 stroke:#d97706,color:#d97706',
      '  linkStyle 0,2 stroke:#9ca3af,color:#9ca3af',
      '',
    ].join('\n'),
  );
});

test('added and removed flows and agents: green and red, conditions changed amber', () => {
  const head = load(
    MOVIE.replace(
      '        vfx-3: { image: registry.example/vfx/compositor:2.0, attributes: { tenure: 7 } }\n',
      '        vfx-3: { image: registry.example/vfx/compositor:2.0, attributes: { tenure: 7 } }\n        vfx-4: { image: registry.example/vfx/compositor:2.0 }\n',
    )
      .replace(
        '    - { from: vfx-1, to: vfx-3, methods: [POST], path: /api/vfx-3 }\n',
        '    - { from: vfx-1, to: vfx-4, methods: [POST], path: /api/vfx-4 }\n    - { from: vfx-4, to: sound, methods: [POST], path: /api/sound }\n',
      )
      .replace('until: "2027-03-31T00:00:00Z"', 'until: "2027-06-30T00:00:00Z"'),
  );
  const text = changeDiagram(movie, head)!;
  const lines = text.trimEnd().split('\n');
  const node = (name: string) => /^ {4}(a\d+)\["/.exec(lines.find((l) => l.startsWith('    ') && l.includes(`["${name}`))!)![1]!;
  const [v1, v3, v4, sound, owner, hdr] = ['vfx-1', 'vfx-3', 'vfx-4', 'sound', 'owner', 'hdr'].map(node);
  assert.ok(lines.includes(`    ${v4}["vfx-4<br>added"]`));
  assert.ok(lines.includes(`  style ${v4} stroke:#15803d,stroke-width:2px`));
  const arrows = lines.filter((l) => /^  a\d+ /.test(l) && l.includes('|'));
  assert.equal(arrows, [
    `  ${owner} -.->|"POST /api/vfx-1"| ${v1}`,
    `  ${v1} -.->|"POST /api/vfx-2"| ${node('vfx-2')}`,
    `  ${v1} -->|"POST /api/vfx-4"| ${v4}`,
    `  ${v4} -->|"POST /api/sound"| ${sound}`,
    `  ${v3} -.->|"POST /api/sound"| ${sound}`,
    `  ${sound} -->|"POST /api/owner<br>#8677; until 2027-06-30T00:00:00Z<br>was: #8677; until 2027-03-31T00:00:00Z"| ${owner}`,
    `  ${hdr} -.->|"POST /api/owner"| ${owner}`,
    `  ${v1} -.->|"POST /api/vfx-3"| ${v3}`,
  ]);
  assert.equal(
    lines.filter((l) => l.startsWith('  linkStyle')),
    [
      '  linkStyle 2,3 stroke:#15803d,color:#15803d',
      '  linkStyle 7 stroke:#b91c1c,color:#b91c1c',
      '  linkStyle 5 stroke:#d97706,color:#d97706',
      '  linkStyle 0,1,4,6 stroke:#9ca3af,color:#9ca3af',
    ],
  );
  // Two hops away from any change (vfx-2 -> color, color -> hdr): not shown.
  assert.not.ok(text.includes('["color'));
  assert.not.ok(text.includes('/api/color'));
});

test('a change in a 300-agent chain shows four agents', () => {
  const chain = (changed: boolean) => {
    const agents = Array.from({ length: 300 }, (_, i) => `        n${i}: { image: registry.example/n:1 }`).join('\n');
    const flows = Array.from(
      { length: 299 },
      (_, i) => `    - { from: n${i}, to: n${i + 1}, methods: [POST], path: /step-${changed && i === 150 ? 'x' : i} }`,
    ).join('\n');
    return load(
      `apiVersion: custody.dev/v1alpha1\nkind: Workflow\nmetadata: { name: chain }\nspec:\n  owner: o\n  actors:\n    o:\n      cluster: { name: o-1 }\n      agents:\n        o0: { image: registry.example/o:1 }\n    c:\n      cluster: { name: c-1 }\n      agents:\n${agents}\n  flows:\n    - { from: o0, to: n0, methods: [POST], path: /in }\n${flows}\n    - { from: n299, to: o0, methods: [POST], path: /out }\n`,
    );
  };
  const text = changeDiagram(chain(false), chain(true))!;
  assert.equal(
    [...text.matchAll(/^ {4}a\d+\["([^"]*)"\]$/gm)].map((m) => m[1]),
    ['n149', 'n150', 'n151', 'n152'],
  );
  assert.is(text.split('\n').filter((l) => l.includes('-->|') || l.includes('-.->|')).length, 3);
});

test('hostile names stay data in the change diagram', () => {
  const base = hostile();
  const head = { ...base, flows: base.flows.slice(2), agents: base.agents.slice(0, -1).map((a) => ({ ...a })) };
  const label = '"(?:[A-Za-z0-9 .,:/_=()-]|#[0-9]+;|<br>)*"';
  const line = new RegExp(
    [
      '^flowchart LR$',
      `^  subgraph b[0-9]+\\[${label}\\]$`,
      `^    a[0-9]+\\[${label}\\]$`,
      '^  end$',
      `^  a[0-9]+ (?:-->|-\\.->)\\|${label}\\| a[0-9]+$`,
      '^  style a[0-9]+ stroke:#[0-9a-f]{6},stroke-width:2px$',
      '^  linkStyle [0-9]+(?:,[0-9]+)* stroke:#[0-9a-f]{6},color:#[0-9a-f]{6}$',
    ].join('|'),
  );
  const text = changeDiagram(base, head)!;
  for (const l of text.trimEnd().split('\n')) assert.ok(line.test(l), `unexpected line: ${l}`);
  assert.match(text, /removed"\]/);
});

test.run();
