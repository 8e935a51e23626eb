/** serve, status, keygen and demo as a user runs them. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exampleRepository } from '../helpers/git-repo.js';
import { repoPath } from '../helpers/paths.js';

function custody(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [repoPath('bin', 'custody.js'), ...args], { cwd, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

test('serve runs the embedded default with nothing prepared, says where its key and tokens are, and status reads it', async () => {
  const repo = exampleRepository();
  const child = spawn(process.execPath, [repoPath('bin', 'custody.js'), 'serve', '--port', '0'], { cwd: repo });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    const deadline = Date.now() + 15_000;
    while (!/serving \d+ bundles/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /signing key +\.custody\/dev\/signing-key\.pem \(key id custody-dev\), created now/);
    assert.match(out, /agent tokens +\.custody\/dev\/tokens\/<workflow>\/<agent>\.token \(13 agents\)/);
    const url = /on (http:\/\/[^\s]+)/.exec(out)![1]!;
    assert.is(statSync(path.join(repo, '.custody', 'dev', 'signing-key.pem')).mode & 0o777, 0o600);
    const status = await custody(['status', '--server', url], repo);
    assert.is(status.code, 1, 'no sidecar has reported: not in sync');
    assert.match(status.stdout, /movie-post-production\s+color\s+color-central\s+[0-9a-f]{12}\s+-\s+-\s+no sidecar reported/);
    const json = JSON.parse((await custody(['status', '--server', url, '--json'], repo)).stdout) as { agents: unknown[] };
    assert.is(json.agents.length, 13);
    assert.is(
      (await custody(['status', '--server', url, '--token-file', path.join(repo, 'workflows', 'movie-post-production.yaml')], repo)).code,
      3,
      'a wrong admin token is refused',
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  assert.match(out, /^(?!.*BEGIN).*$/s, 'no key material printed');
});

test('serve and status say which revision is served and what the working tree holds that it does not', async () => {
  const repo = exampleRepository();
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
  writeFileSync(
    path.join(repo, 'workflows', 'bank-audit.yaml'),
    readFileSync(path.join(repo, 'workflows', 'movie-post-production.yaml'), 'utf8').replace('name: movie-post-production', 'name: bank-audit'),
  );
  const child = spawn(process.execPath, [repoPath('bin', 'custody.js'), 'serve', '--port', '0'], { cwd: repo });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    const deadline = Date.now() + 15_000;
    while (!/serving \d+ bundles/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, `serving 13 bundles of ${repo}, branch main at ${head.slice(0, 12)}, on http://`);
    assert.match(
      err,
      `custody serve: warning[uncommitted-changes]: workflows/bank-audit.yaml is in workflows/ but not committed: the bundle server serves only what is committed (main at ${head.slice(0, 12)}) (run custody commit`,
    );
    const url = /on (http:\/\/[^\s]+)/.exec(out)![1]!;
    const status = await custody(['status', '--server', url], repo);
    assert.match(status.stderr, 'custody status: warning[uncommitted-changes]: workflows/bank-audit.yaml is in workflows/ but not committed');
    assert.match(status.stdout, /movie-post-production\s+color/);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});

test('serve refuses a bad configuration with exit 2', async () => {
  const repo = exampleRepository();
  const r = await custody(['serve', '--config', 'missing.yaml'], repo);
  assert.is(r.code, 2);
  assert.match(r.stderr, /config file .*missing\.yaml does not exist/);
});

test('keygen writes the private key outside Git (0600) and the public key to keys/, and refuses to overwrite', async () => {
  const repo = exampleRepository();
  const r = await custody(['keygen', '--id', 'bundles-2026'], repo);
  assert.is(r.code, 0, r.stderr);
  const priv = path.join(repo, '.custody', 'keys', 'bundles-2026.key.pem');
  assert.is(statSync(priv).mode & 0o777, 0o600);
  assert.match(readFileSync(path.join(repo, 'keys', 'bundles-2026.pem'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
  // The fingerprint it prints is the one openssl gives for the public key (and the summaries name).
  const der = execFileSync('openssl', ['pkey', '-pubin', '-in', path.join(repo, 'keys', 'bundles-2026.pem'), '-outform', 'DER']);
  const digest = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der });
  assert.match(r.stdout, `fingerprint SHA256:${digest.toString('base64').replace(/=+$/, '')} (`);
  assert.is((await custody(['keygen', '--id', 'bundles-2026'], repo)).code, 2);
  assert.is((await custody(['keygen', '--id', 'Bad_Id'], repo)).code, 2);
  assert.ok(existsSync(priv));
});

test('demo: real OPA sidecars for every agent of the movie workflow, all in sync, requests decided, denials reported', async () => {
  const repo = exampleRepository();
  const r = await custody(['demo'], repo, { OPA_BIN: repoPath('.tools', 'bin', 'opa') });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /started 7 OPA sidecars/);
  assert.match(r.stdout, /: allowed by \S+'s sidecar/);
  assert.match(r.stdout, /: denied by \S+'s sidecar/);
  // One request at a moment its flow is shut, decided by the real sidecar with its clock set there.
  assert.match(
    r.stdout,
    /\n  \S+ -> \S+  POST \/api\/\S+ at \w{3}, \d{2} \w{3} \d{4}, \d{2}:\d{2} Europe\/Paris: denied by \S+'s sidecar \(the flow is open [^)]+\)\n/,
  );
  assert.is((r.stdout.match(/ in sync /g) ?? []).length, 7);
  assert.match(r.stdout, /Recent denials:\n  movie-post-production\//);
  assert.match(
    r.stdout,
    "\nthe rollout page and custody status: custody demo --keep keeps the server and the sidecars running and prints the page's URL (custody serve alone starts no sidecar)\n",
  );
  // It ends by pointing at the specs and the generated trees: the newcomer's next step.
  assert.match(r.stdout, '\nNow write your own:\n  workflows/        the specs; the one just enforced is workflows/movie-post-production.yaml.\n');
  assert.match(r.stdout, "  custody generate  writes bundles/ (each agent's policy) and generated/ (each cluster's\n");
  assert.ok(r.stdout.trimEnd().endsWith('then custody verify --workflow <your-workflow>'));
});

test('demo --keep: the rollout page served, with the sidecars running, until interrupted', async () => {
  const repo = exampleRepository();
  const child = spawn(process.execPath, [repoPath('bin', 'custody.js'), 'demo', '--keep'], {
    cwd: repo,
    env: { ...process.env, OPA_BIN: repoPath('.tools', 'bin', 'opa') },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 60_000;
    while (!/Ctrl-C stops them/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const m = /\nrollout page: (http:\/\/127\.0\.0\.1:\d+\/) \(open it in a browser and paste the admin token from \.custody\/dev\/admin\.token\)\n/.exec(out);
    assert.ok(m, out);
    assert.is((out.match(/ in sync /g) ?? []).length, 7, out);
    const page = await fetch(m![1]!);
    assert.is(page.status, 200);
    assert.match(await page.text(), '<title>Custody rollout</title>');
    const token = readFileSync(path.join(repo, '.custody', 'dev', 'admin.token'), 'utf8').trim();
    const view = (await (await fetch(`${m![1]!}api/rollout`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      agents: { workflow: string; inSync: boolean }[];
    };
    assert.equal(
      view.agents.filter((a) => a.workflow === 'movie-post-production').map((a) => a.inSync),
      [true, true, true, true, true, true, true],
    );
    child.kill('SIGINT');
    assert.is(await exited, 0, out);
    // Everything stopped: the server no longer answers.
    assert.is(
      await fetch(m![1]!).then(
        () => 'answered',
        () => 'refused',
      ),
      'refused',
    );
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test.run();
