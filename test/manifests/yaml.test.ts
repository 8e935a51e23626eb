/**
 * The YAML emitter: every value reads back as itself, with the `yaml` package (YAML 1.2) for random
 * values, and with Go's YAML (OPA's yaml.unmarshal, sigs.k8s.io/yaml) for every file of the
 * example trees and for the strings YAML 1.1 reads differently.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { sortedValue } from '../../src/generate/index.js';
import { renderManifests, toYaml } from '../../src/manifests/index.js';
import { opa } from '../helpers/opa.js';
import { exampleWorkflows } from '../helpers/workflows.js';
import { exampleInputs } from './helpers.js';

const TRICKY = [
  'true',
  'on',
  'No',
  'y',
  'null',
  '~',
  '1',
  '-1',
  '0x1F',
  '1e3',
  '1_000',
  '08:00',
  '190:20:30',
  '2001-12-14',
  '.inf',
  '=',
  ':9191',
  'a: b',
  '#x',
  '*',
  '&a',
  '!tag',
  '|',
  '>',
  '%',
  '@x',
  '`x',
  '[x]',
  '{x}',
  'foo:',
  'a,b',
  '100m',
  '1Gi',
  '0.0.0.0/0',
  '/api/*',
  './*',
  'http://h:80/p',
  'ssh://git@h/r.git',
  '',
  ' lead',
  'trail ',
  'x\n',
  'x\ny',
  'x\n\n',
  ' x\ny',
  'a\tb',
  'é',
  '"q"',
  "it's",
  '\\',
];

const key = fc.constantFrom('a', 'b', 'on', 'y', '1', 'a b', 'x.y/z', 'apiVersion', 'kind', 'metadata', 'config.yaml');
const str = fc.oneof(fc.constantFrom(...TRICKY), fc.string({ maxLength: 12 }), fc.stringMatching(/^[a-z0-9.:/*@=-]{0,10}$/));
const leaf = fc.oneof(str, fc.integer({ min: -100000, max: 100000 }), fc.boolean());
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('tree'), { maxLength: 4 }), fc.dictionary(key, tie('tree'), { maxKeys: 4 })),
}));

test('random documents read back as themselves (YAML 1.2)', () => {
  fc.assert(
    fc.property(fc.dictionary(key, tree, { maxKeys: 6 }), (doc) => {
      assert.equal(parse(toYaml(doc)), sortedValue(doc));
    }),
    { numRuns: Number(process.env.YAML_RUNS ?? 500) },
  );
});

test('Go reads every file of the example trees, and the tricky strings, as JavaScript does', async () => {
  // Every YAML file (HANDOVER.md is Markdown for people, not read by a program).
  const files = Object.fromEntries([...renderManifests(exampleWorkflows(), await exampleInputs()).files].filter(([p]) => p.endsWith('.yaml')));
  files['tricky.yaml'] = toYaml(Object.fromEntries(TRICKY.map((s, i) => [`k${String(i).padStart(3, '0')}`, s])));
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-yaml-'));
  writeFileSync(path.join(dir, 'input.json'), JSON.stringify({ files }));
  const { stdout } = await opa(['eval', '-f', 'raw', '-i', path.join(dir, 'input.json'), '{p: v | some p, t in input.files; v := yaml.unmarshal(t)}']);
  const go = JSON.parse(stdout) as Record<string, unknown>;
  assert.equal(Object.keys(go).length, Object.keys(files).length);
  for (const [p, text] of Object.entries(files)) assert.equal(go[p], parse(text), p);
  assert.equal(Object.values(go['tricky.yaml'] as object), TRICKY);
});

test('hexadecimal, octal and binary spellings are quoted (YAML 1.2 reads 0xA as the number 10)', () => {
  const lines = toYaml({ a: '0xA', b: '0o7', c: '0b1', d: '512Mi' }).split('\n');
  for (const line of ['a: "0xA"', 'b: "0o7"', 'c: "0b1"', 'd: 512Mi']) assert.ok(lines.includes(line), line);
});

test.run();
