/**
 * Inputs an attacker controls in a pull request: a link in workflows/ or in place of workflows/ or
 * keys/ (for every command that reads them, doctor included), a file too large to parse, a binary. The CI recipe runs `custody check` on such checkouts, so none of them may echo a
 * file's content, exhaust memory, or write raw control characters to the terminal.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { custody } from '../helpers/cli.js';
import { repoPath } from '../helpers/paths.js';

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

/** A folder outside the workspace holding what a link committed in a pull request could point at. */
function secretFolder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-secret-'));
  writeFileSync(path.join(dir, 'x.yaml'), 'apiVersion: custody.dev/v1alpha1\nkind: Workflow\nmetadata:\n  name: "SECRET_TOKEN_mustNeverBePrinted"\n');
  return dir;
}

test('a workflows folder that is a symbolic link is refused, named or not, and nothing of what it points at is printed', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-input-'));
  const secret = secretFolder();
  symlinkSync(secret, path.join(dir, 'workflows'));
  for (const args of [
    ['check'],
    ['generate', '--check'],
    ['check', 'workflows'],
    ['check', 'workflows/x.yaml'],
    ['generate', '--check', '--workflows', 'workflows'],
    ['matrix', 'workflows/x.yaml'],
    ['matrix', '--workflow', 'x'],
    ['graph', 'workflows/x.yaml'],
    // What the CI recipe's verify step runs: the changed specs, named.
    ['verify', '--json', 'workflows/x.yaml'],
  ]) {
    const r = await custody(args, dir);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(
      r.stderr,
      'error[unsupported-input]: workflows is a symbolic link: a folder custody reads specs, keys or generated trees from must be a real folder in the repository',
      args.join(' '),
    );
    assert.not.match(r.stderr + r.stdout, 'SECRET_TOKEN', args.join(' '));
    assert.not.match(r.stderr + r.stdout, secret, 'not even where it points');
  }
  // A folder under a linked one is refused too: the link is on the way.
  const nested = mkdtempSync(path.join(tmpdir(), 'custody-input-'));
  mkdirSync(path.join(secret, 'specs'));
  copyFileSync(path.join(secret, 'x.yaml'), path.join(secret, 'specs', 'x.yaml'));
  symlinkSync(secret, path.join(nested, 'inputs'));
  const r = await custody(['check', 'inputs/specs'], nested);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, 'error[unsupported-input]: inputs is a symbolic link');
  assert.not.match(r.stderr + r.stdout, 'SECRET_TOKEN');
  // A folder outside the repository, named by its own path, is the user's choice: read as named.
  const named = await custody(['check', secret], dir);
  assert.is(named.code, 1, named.stderr);
  assert.match(named.stderr, 'error[invalid-name]');
});

test('a keys folder (or a subfolder of it) that is a symbolic link is refused, and nothing of what it points at is printed', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-input-'));
  cpSync(repoPath('workflows'), path.join(dir, 'workflows'), { recursive: true });
  const secret = mkdtempSync(path.join(tmpdir(), 'custody-secret-'));
  copyFileSync(repoPath('keys', 'custody-example.pem'), path.join(secret, 'custody-example.pem'));
  writeFileSync(path.join(secret, 'active'), 'SECRET_TOKEN_mustNeverBePrinted\n');
  symlinkSync(secret, path.join(dir, 'keys'));
  // doctor reads keys/ too (the peers' roots): refused before any cluster is asked, so the address here is never dialled.
  const kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), 'custody-kube-')), 'config');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{ name: studio-central, cluster: { server: "https://127.0.0.1:9" } }]',
      'users: [{ name: operator, user: { token: unused } }]',
      'contexts: [{ name: studio-central, context: { cluster: studio-central, user: operator } }]',
      'current-context: studio-central',
      '',
    ].join('\n'),
  );
  for (const args of [['check'], ['generate', '--check'], ['generate', '--check', '--keys', 'keys'], ['doctor', '--kubeconfig', kubeconfig]]) {
    const r = await custody(args, dir);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(
      r.stderr,
      'error[unsupported-input]: keys is a symbolic link: a folder custody reads specs, keys or generated trees from must be a real folder',
      args.join(' '),
    );
    assert.not.match(r.stderr + r.stdout, 'SECRET_TOKEN', args.join(' '));
  }
  // keys/roots and keys/jwks as links: refused like a linked key file, wherever keys/ is.
  const roots = mkdtempSync(path.join(tmpdir(), 'custody-input-'));
  cpSync(repoPath('workflows'), path.join(roots, 'workflows'), { recursive: true });
  mkdirSync(path.join(roots, 'keys'));
  copyFileSync(repoPath('keys', 'custody-example.pem'), path.join(roots, 'keys', 'custody-example.pem'));
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'custody-secret-'));
  copyFileSync(repoPath('test', 'fixtures', 'roots', 'vfx-central.pem'), path.join(elsewhere, 'vfx-central.pem'));
  symlinkSync(elsewhere, path.join(roots, 'keys', 'roots'));
  const r = await custody(['generate', '--check'], roots);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, 'error[keys-invalid]: keys/roots is a symbolic link: trusted material must be in a folder under keys/');
});

test('the generated trees doctor and drift read: a linked tree, a resource that is a link or leaves the tree, a context that names no cluster are refused, and nothing of what they point at is printed', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-input-'));
  for (const folder of ['workflows', 'keys', 'generated']) cpSync(repoPath(folder), path.join(dir, folder), { recursive: true });
  // Were it read, its parse error would quote it.
  const secret = path.join(mkdtempSync(path.join(tmpdir(), 'custody-secret-')), 'secret.yaml');
  writeFileSync(secret, 'token: SECRET_TOKEN_mustNeverBePrinted: [\n');
  // No cluster answers here: every refusal below comes before one is asked.
  const kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), 'custody-kube-')), 'config');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:9" } }]',
      'users: [{ name: operator, user: { token: unused } }]',
      'contexts: [{ name: hdr-west, context: { cluster: c, user: operator } }, { name: "arn:aws:eks:eu-west-1:1:cluster/x", context: { cluster: c, user: operator } }]',
      'current-context: hdr-west',
      '',
    ].join('\n'),
  );
  const tree = path.join(dir, 'generated', 'clusters', 'hdr-west');
  const refused = async (args: string[], code: number, message: string | RegExp) => {
    const r = await custody([...args, '--kubeconfig', kubeconfig], dir);
    assert.is(r.code, code, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.not.match(r.stderr + r.stdout, 'SECRET_TOKEN', args.join(' '));
  };
  // A resource that leaves the tree, and one that is a link.
  appendFileSync(path.join(tree, 'kustomization.yaml'), `  - ${path.relative(tree, secret)}\n`);
  await refused(['drift'], 1, /error\[tree-unreadable\]: .*kustomization\.yaml: the resource \.\.\/.* is outside the tree/);
  cpSync(repoPath('generated', 'clusters', 'hdr-west', 'kustomization.yaml'), path.join(tree, 'kustomization.yaml'));
  symlinkSync(secret, path.join(tree, 'leak.yaml'));
  appendFileSync(path.join(tree, 'kustomization.yaml'), '  - leak.yaml\n');
  await refused(
    ['drift'],
    1,
    'error[tree-unreadable]: ' + path.join(tree, 'kustomization.yaml') + ': the resource leak.yaml is a symbolic link, which is not read',
  );
  // The whole tree a link.
  renameSync(tree, path.join(dir, 'elsewhere'));
  symlinkSync(path.join(dir, 'elsewhere'), tree);
  for (const command of ['drift', 'doctor'])
    await refused(
      [command],
      2,
      'error[unsupported-input]: generated/clusters/hdr-west is a symbolic link: a folder custody reads specs, keys or generated trees from must be a real folder',
    );
  // A context name is no path.
  for (const command of ['drift', 'doctor']) {
    await refused([command, '--cluster', '../../keys'], 2, 'error[unknown-cluster]: ../../keys is not a cluster name of a workflow');
    await refused(
      [command, '--context', 'arn:aws:eks:eu-west-1:1:cluster/x'],
      2,
      'error[unknown-cluster]: arn:aws:eks:eu-west-1:1:cluster/x is not a cluster name',
    );
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
