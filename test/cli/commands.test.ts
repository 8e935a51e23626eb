/**
 * The commands behave alike: every help lists its options and exit codes; a misspelt command or
 * option gets one clean line with the nearest name; a workflow is named by FILE or --workflow
 * NAME everywhere; check takes folders and prints JSON; matrix shows the allowed pairs alone and
 * takes --at now; keygen and status say plainly what is missing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { commitAll, exampleRepository } from '../helpers/git-repo.js';
import { REPO, repoPath } from '../helpers/paths.js';

async function run(args: string[], cwd = REPO): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const io = { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) }, cwd };
  const code = await main(args, io);
  return { code, ...out };
}

test("every command's --help lists its Options (with -h, --help) and its Exit codes", async () => {
  const top = await run(['--help']);
  const names = top.stdout
    .split('\nCommands:\n')[1]!
    .split('\n\n')[0]!
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0]!);
  assert.ok(names.length >= 14, names.join(' '));
  for (const name of names) {
    const h = await run([name, '--help']);
    assert.is(h.code, 0, name);
    assert.match(h.stdout, new RegExp(`^Usage: custody ${name}`), name);
    assert.match(h.stdout, /^Options:$/m, `${name}: Options`);
    assert.match(h.stdout, /^ {2}-h, --help +this help$/m, `${name}: -h, --help`);
    assert.match(h.stdout, /^Exit codes: 0 /m, `${name}: Exit codes`);
  }
});

test('serve --help points at docs/server.md, which exists', async () => {
  const h = await run(['serve', '--help']);
  assert.match(h.stdout, 'docs/server.md describes\nevery setting');
  assert.match(h.stdout, 'Running it in production (authentication, limits, the rollout view): docs/server.md.');
  assert.ok(existsSync(repoPath('docs', 'server.md')));
});

test('a misspelt command: one line naming the command meant, exit 2', async () => {
  const r = await run(['chek']);
  assert.is(r.code, 2);
  assert.is(r.stderr, 'custody: error[usage]: unknown command "chek" (did you mean check?)\n');
  const far = await run(['frobnicate']);
  assert.match(far.stderr, /^custody: error\[usage\]: unknown command "frobnicate" \(the commands are below\)\n\nUsage: custody COMMAND/);
});

test('unknown or malformed options: one clean line each, with the nearest option or the list', async () => {
  const cases: [string[], string][] = [
    [['serve', '--prot', '3'], 'custody serve: error[usage]: unknown option --prot (did you mean --port?)\n'],
    [['matrix', '--jsn'], 'custody matrix: error[usage]: unknown option --jsn (did you mean --json?)\n'],
    [['check', '--frob'], 'custody check: error[usage]: unknown option --frob (the options are --json)\n'],
    [['matrix', '--at'], 'custody matrix: error[usage]: --at needs a value (run custody matrix --help for usage)\n'],
    [['check', '--json=yes'], 'custody check: error[usage]: --json takes no value (run custody check --help for usage)\n'],
    [
      ['generate', 'workflows'],
      'custody generate: error[usage]: unexpected argument "workflows": this command takes options only (run custody generate --help for usage)\n',
    ],
  ];
  for (const [args, stderr] of cases) {
    const r = await run(args);
    assert.is(r.code, 2, args.join(' '));
    assert.is(r.stderr, stderr);
  }
});

test('keygen without --id says --id is required', async () => {
  const r = await run(['keygen'], mkdtempSync(path.join(tmpdir(), 'custody-keygen-')));
  assert.is(r.code, 2);
  assert.is(
    r.stderr,
    'custody keygen: error[usage]: --id is required: the key id sidecars will name, e.g. --id bundles-2026 (run custody keygen --help for usage)\n',
  );
});

test('status against a stopped server says no server is running there (exit 3), even without an admin token', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const r = await run(['status', '--server', `http://127.0.0.1:${port}`], mkdtempSync(path.join(tmpdir(), 'custody-status-')));
  assert.is(r.code, 3);
  assert.is(
    r.stderr,
    `custody status: error[operational]: no bundle server is running at http://127.0.0.1:${port} (connection refused) (start one with custody serve, or pass the URL of yours with --server or CUSTODY_SERVER)\n`,
  );
});

test('check takes a folder, and --json prints the result on stdout alone', async () => {
  const folder = await run(['check', 'workflows/']);
  assert.is(folder.code, 0, folder.stderr);
  assert.is(folder.stdout, (await run(['check'])).stdout);
  assert.match(folder.stdout, /^ok: 2 workflows, 13 agents, 16 flows, /);
  const json = await run(['check', '--json', 'workflows']);
  assert.is(json.code, 0);
  assert.is(json.stderr, '');
  const parsed = JSON.parse(json.stdout) as {
    ok: boolean;
    files: string[];
    workflows: { name: string; agents: number; flows: number }[];
    errors: number;
    diagnostics: { severity: string; code: string; line: number }[];
  };
  assert.is(parsed.ok, true);
  assert.equal(parsed.files, ['workflows/clinical-trial-analysis.yaml', 'workflows/movie-post-production.yaml']);
  assert.equal(
    parsed.workflows.map((w) => [w.name, w.agents, w.flows]),
    [
      ['clinical-trial-analysis', 6, 8],
      ['movie-post-production', 7, 8],
    ],
  );
  assert.ok(parsed.diagnostics.every((d) => d.severity === 'warning' && d.line > 0));
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-check-'));
  writeFileSync(
    path.join(dir, 'bad.yaml'),
    readFileSync(repoPath('workflows', 'movie-post-production.yaml'), 'utf8').replace('timezone: Europe/Paris', 'timezone: Europe/Pariss'),
  );
  const bad = await run(['check', '--json', dir]);
  assert.is(bad.code, 1);
  const b = JSON.parse(bad.stdout) as { ok: boolean; errors: number; diagnostics: { code: string; field: string; hint?: string }[] };
  assert.is(b.ok, false);
  assert.is(b.errors, 1);
  assert.equal(
    b.diagnostics.filter((d) => d.code === 'unknown-timezone').map((d) => [d.field, d.hint]),
    [['spec.timezone', 'did you mean "Europe/Paris"?']],
  );
});

test('matrix: --workflow NAME as FILE; --allowed keeps the pairs with something allowed; --at now', async () => {
  const byFile = await run(['matrix', 'workflows/movie-post-production.yaml']);
  const byName = await run(['matrix', '--workflow', 'movie-post-production']);
  assert.is(byName.code, 0, byName.stderr);
  assert.is(byName.stdout, byFile.stdout);
  const typo = await run(['matrix', '--workflow', 'movie-post-prodution']);
  assert.is(typo.code, 2);
  assert.is(typo.stderr, 'custody matrix: error[usage]: no valid workflow "movie-post-prodution" in workflows/ (did you mean movie-post-production?)\n');
  assert.is((await run(['matrix', 'workflows/movie-post-production.yaml', '--workflow', 'movie-post-production'])).code, 2);
  const allowed = await run(['matrix', '--workflow', 'movie-post-production', '--allowed', '--at', '2026-11-23T09:00:00Z']);
  assert.is(allowed.code, 0, allowed.stderr);
  const table = allowed.stdout.split('\n\n')[1]!.split('\n');
  assert.equal(
    table.map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
    ['FROM TO', 'color hdr', 'hdr owner', 'owner vfx-1', 'sound owner', 'vfx-1 vfx-2', 'vfx-1 vfx-3', 'vfx-2 color', 'vfx-3 sound'],
  );
  assert.match(allowed.stdout, '\n34 of 42 pairs of agents, every method denied, are left out (--allowed).\n');
  const json = JSON.parse((await run(['matrix', '--workflow', 'movie-post-production', '--allowed', '--json'])).stdout) as {
    cells: { decision: string }[];
    counts: { deny: number };
  };
  assert.is(json.cells.length, 8);
  assert.ok(json.cells.every((c) => c.decision !== 'deny'));
  assert.is(json.counts.deny, 76, "the counts are the whole matrix's");
  const now = await run(['matrix', '--workflow', 'movie-post-production', '--at', 'now']);
  assert.is(now.code, 0, now.stderr);
  assert.match(now.stdout, /^movie-post-production: 7 agents × 6 peers × 2 methods \(GET, POST\) = 84 triples at 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z: /);
});

test('verify and demo take a workflow FILE as well as --workflow NAME (not both)', async () => {
  const repo = exampleRepository();
  const both = await run(['verify', 'workflows/movie-post-production.yaml', '--workflow', 'movie-post-production'], repo);
  assert.is(both.code, 2);
  assert.match(both.stderr, 'not both');
  cpSync(path.join(repo, 'workflows', 'movie-post-production.yaml'), path.join(repo, 'workflows', 'bank-audit.yaml'));
  writeFileSync(
    path.join(repo, 'workflows', 'bank-audit.yaml'),
    readFileSync(path.join(repo, 'workflows', 'bank-audit.yaml'), 'utf8').replace('name: movie-post-production', 'name: bank-audit'),
  );
  // The FILE is read (its workflow is bank-audit), and found not committed before anything starts.
  for (const command of ['verify', 'demo']) {
    const r = await run([command, 'workflows/bank-audit.yaml'], repo);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, `custody ${command}: error[uncommitted-changes]: bank-audit (workflows/bank-audit.yaml) is in workflows/ but not committed`);
  }
  commitAll(repo, 'bank-audit');
  const typo = await run(['verify', '--workflow', 'bank-audti'], repo);
  assert.is(typo.code, 2);
  assert.match(typo.stderr, '(did you mean bank-audit?)');
});

test.run();
