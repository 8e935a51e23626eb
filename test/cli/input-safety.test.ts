/**
 * Inputs an attacker controls in a pull request: a link in workflows/, a file too large to parse,
 * a binary. The CI recipe runs `custody check` on such checkouts, so none of them may echo a
 * file's content, exhaust memory, or write raw control characters to the terminal.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { custody } from '../helpers/cli.js';

function workspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-input-'));
  mkdirSync(path.join(dir, 'workflows'));
  return dir;
}

test('a workflow file that is a symbolic link is refused, and what it points at is never printed', async () => {
  const dir = workspace();
  const secret = path.join(dir, 'secret.txt');
  writeFileSync(secret, 'GITHUB_TOKEN=ghp_thisMustNeverBePrinted\n');
  symlinkSync(secret, path.join(dir, 'workflows', 'x.yaml'));
  for (const args of [['check'], ['generate', '--check']]) {
    const r = await custody(args, dir);
    assert.is(r.code, 2, args.join(' '));
    assert.match(r.stderr, 'error[unsupported-input]: workflows/x.yaml is a symbolic link');
    assert.not.match(r.stderr + r.stdout, 'ghp_thisMustNeverBePrinted');
  }
});

test('a spec over the size limit is refused before it is parsed, with its size and the limit', async () => {
  const dir = workspace();
  writeFileSync(path.join(dir, 'workflows', 'big.yaml'), `# ${'x'.repeat(9 * 1024 * 1024)}\n`);
  const r = await custody(['check'], dir);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'error[input-too-large]: workflows/big.yaml is 9,437,187 bytes, more than the 8,388,608 a workflow spec may have');
});

test('a binary file gives a short error output with no raw control character', async () => {
  const dir = workspace();
  // The same bytes every run (a small linear congruential generator), so the output size is stable.
  const bytes = Buffer.alloc(1024 * 1024);
  for (let i = 0, x = 12345; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  writeFileSync(path.join(dir, 'workflows', 'blob.yaml'), bytes);
  const r = await custody(['check'], dir);
  assert.is(r.code, 1);
  assert.ok(r.stderr.length < 32 * 1024, `stderr is ${r.stderr.length} characters`);
  assert.ok(r.stderr.split('\n').length <= 52, 'at most 50 problems and a count of the rest');
  // Only line breaks may stand raw; ESC, BEL and the rest come out escaped.
  assert.not.ok(/[\x00-\x09\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]/.test(r.stderr), 'a raw control character reached stderr');
});

test('custody matrix refuses a workflow whose matrix would exceed a million triples, and says why', async () => {
  const dir = workspace();
  const agents = Array.from({ length: 1001 }, (_, i) => `        a${i}: { image: registry.example/a:1 }`);
  writeFileSync(
    path.join(dir, 'workflows', 'wide.yaml'),
    [
      'apiVersion: custody.dev/v1alpha1',
      'kind: Workflow',
      'metadata:',
      '  name: wide',
      'spec:',
      '  owner: o',
      '  timezone: UTC',
      '  trustDomain: example.org',
      '  actors:',
      '    o:',
      '      cluster: { name: c }',
      '      agents:',
      ...agents,
      '  flows:',
      '    - { from: a0, to: a1, methods: [GET], path: / }',
      '',
    ].join('\n'),
  );
  const r = await custody(['matrix', 'workflows/wide.yaml'], dir);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, 'error[matrix-too-large]: wide has 1001 agents: its matrix would list 1,001,000 triples, more than the 1,000,000 this command prints');
  assert.is(r.stdout, '');
});

test.run();
