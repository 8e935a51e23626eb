/**
 * The CI recipe (.github/workflows/custody.yml): its shape (trigger, permissions, steps), and its
 * custody steps run as the runner would run them (bash, the step's env, `npx custody` resolving
 * to this package), on a pull request's merge commit, against the GitHub stand-in. GitHub
 * Actions itself does not run here: checkout and setup-node are not exercised.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { COMMENT_MARKER } from '../../src/github/index.js';
import { REPO, repoPath } from '../helpers/paths.js';
import { startGitHubStandIn } from '../helpers/github-standin.js';
import { cleanEnv, custody, edit, fixtureRepository, git, MOVIE, tempDir, TOKEN } from '../helpers/fixture-repository.js';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
const recipe = parse(readFileSync(repoPath('.github', 'workflows', 'custody.yml'), 'utf8')) as {
  on: { pull_request: { paths: string[] } };
  permissions: Record<string, string>;
  jobs: { custody: { steps: Step[] } };
};
const steps = recipe.jobs.custody.steps;

test('the recipe: on pull requests touching workflows/ (or the trees and keys, against hand edits), minimal permissions, check, generate --check, verify, summary, comment', () => {
  assert.equal(recipe.on.pull_request.paths, ['workflows/**', 'bundles/**', 'generated/**', 'keys/**']);
  assert.equal(recipe.permissions, { contents: 'read', 'pull-requests': 'write' });
  // Each action pinned to a release, not a moving branch or a major tag that new releases move.
  assert.equal(
    steps.filter((s) => s.uses).map((s) => s.uses),
    ['actions/checkout@v4', 'actions/setup-node@v4', 'actions/setup-go@v5.1.0', 'actions/cache@v4.2.0'],
  );
  assert.is((steps[0]!.with as { 'fetch-depth': number })['fetch-depth'], 0, 'custody diff reads HEAD^1: the checkout needs the parents');
  // Go as install-tools.sh needs it (its build modules say go 1.26, with GOTOOLCHAIN=local).
  const uses = (name: string) => steps.find((s) => s.uses?.startsWith(`${name}@`))!;
  assert.equal(uses('actions/setup-go').with, { 'go-version': '1.26.8', cache: false });
  assert.match(readFileSync(repoPath('scripts', 'install-tools.sh'), 'utf8'), "printf 'module custody.invalid/tools\\n\\ngo 1.26\\n");
  // The tools cached between runs, rebuilt exactly when the script's pins change.
  assert.equal(uses('actions/cache').with, {
    path: '.tools',
    key: "custody-tools-${{ runner.os }}-${{ runner.arch }}-go1.26.8-${{ hashFiles('scripts/install-tools.sh') }}",
  });
  const build = steps.find((s) => s.run?.trim() === 'scripts/install-tools.sh')!;
  assert.is(build.if, "steps.tools.outputs.cache-hit != 'true'");
  const runs = steps.filter((s) => s.run).map((s) => s.run!.trim());
  assert.equal(runs.slice(0, 2), ['npm ci', 'scripts/install-tools.sh']);
  assert.equal(
    runs.map((r) => r.match(/npx custody \w+/g)?.join()),
    [undefined, undefined, 'npx custody check', 'npx custody generate', 'npx custody verify', 'npx custody diff', 'npx custody comment'],
  );
  assert.match(runs[3]!, '--check');
  // The verify report reaches both summaries.
  for (const r of runs.slice(5)) assert.match(r, '--verify-report "$RUNNER_TEMP/custody-verify.json"');
  const comment = steps.find((s) => s.run?.includes('custody comment'))!;
  assert.equal(comment.env, { GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}', PR_NUMBER: '${{ github.event.pull_request.number }}' });
  // No expression is expanded inside a shell command (script injection): values come through env.
  for (const r of runs) assert.not.match(r, '${{');
});

/** A pull request's merge commit, as actions/checkout leaves it: HEAD^1 the base's tip, HEAD^2 the branch's. */
async function mergeCommit(regenerate: boolean): Promise<string> {
  const dir = await fixtureRepository();
  git(dir, 'switch', '-q', '-c', 'feature');
  edit(
    dir,
    MOVIE,
    '- { from: hdr, to: owner, methods: [POST], path: /api/owner }',
    '- { from: hdr, to: owner, methods: [POST], path: /api/owner }\n    - { from: vfx-3, to: hdr, methods: [GET], path: /api/frames/*, when: [{ hours: { from: "22:00", to: "06:00" } }] }',
  );
  if (regenerate) {
    const r = await custody(['commit', '--author-name', 'Ada', '--author-email', 'ada@example.invalid'], dir);
    assert.is(r.code, 0, r.stderr);
  } else {
    git(dir, 'commit', '-q', '-am', 'spec only');
  }
  git(dir, 'switch', '-q', 'main');
  writeFileSync(path.join(dir, 'NOTES.md'), 'meanwhile on main\n');
  git(dir, 'add', 'NOTES.md');
  git(dir, 'commit', '-q', '-m', 'meanwhile');
  git(dir, 'switch', '-q', '--detach', 'main');
  git(dir, 'merge', '-q', '--no-ff', '-m', 'Merge feature into main', 'feature');
  return dir;
}

/** `npx custody …` as the runner resolves it after npm ci: this package's bin. */
function npxShim(): string {
  const bin = tempDir('bin');
  const npx = path.join(bin, 'npx');
  writeFileSync(
    npx,
    `#!/bin/sh\n[ "$1" = custody ] || { echo "unexpected npx $1" >&2; exit 127; }\nshift\nexec "${process.execPath}" "${path.join(REPO, 'bin', 'custody.js')}" "$@"\n`,
  );
  chmodSync(npx, 0o755);
  return bin;
}

function runStep(
  step: Step,
  cwd: string,
  env: Record<string, string>,
  expressions: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stepEnv = Object.fromEntries(
    Object.entries(step.env ?? {}).map(([k, v]) => [
      k,
      v.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_m, e: string) => {
        if (!(e in expressions)) throw new Error(`the test does not know the expression ${e}`);
        return expressions[e]!;
      }),
    ]),
  );
  return new Promise((resolve) => {
    execFile('bash', ['-e', '-c', step.run!], { cwd, env: cleanEnv({ ...env, ...stepEnv }) }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

test("the recipe's custody steps on a merge commit: checks pass, verify proves the changed workflow with real OPA, the job summary and the comment carry the summary and the proof; a second run updates it", async () => {
  const dir = await mergeCommit(true);
  // The tools as the cache step restores them (built by install-tools.sh, as the recipe would).
  symlinkSync(repoPath('.tools'), path.join(dir, '.tools'));
  const runnerTemp = tempDir('runner');
  const gh = await startGitHubStandIn({ token: TOKEN, repositories: ['acme/custody'] });
  try {
    gh.pulls.push({ number: 1, title: 'feature', body: null, head: 'feature', base: 'main', state: 'open', owner: 'acme', repo: 'custody' });
    const summaryFile = path.join(tempDir('summary'), 'step-summary.md');
    mkdirSync(path.dirname(summaryFile), { recursive: true });
    writeFileSync(summaryFile, '');
    const env = {
      PATH: `${npxShim()}:${process.env.PATH}`,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_REPOSITORY: 'acme/custody',
      GITHUB_API_URL: gh.url,
      RUNNER_TEMP: runnerTemp,
    };
    const expressions = { 'secrets.GITHUB_TOKEN': TOKEN, 'github.event.pull_request.number': '1' };
    for (let round = 0; round < 2; round++) {
      // The proof is the costly step: the second round reuses its report, to show the comment updated.
      for (const step of steps.filter((s) => s.run?.includes('npx custody') && !(round === 1 && s.run.includes('custody verify')))) {
        const r = await runStep(step, dir, env, expressions);
        assert.is(r.code, 0, `${step.name}: ${r.stdout}${r.stderr}`);
      }
    }
    const summary = readFileSync(summaryFile, 'utf8');
    assert.match(summary, '- vfx-3 **may now** `GET` `/api/frames/*` from hdr, 22:00–06:00 Europe/Paris; data moves hdr → vfx-3');
    assert.not.match(summary, 'NOTES.md');
    assert.is(gh.comments.length, 1, 'one comment, updated by the second run');
    assert.ok(gh.comments[0]!.body.startsWith(`${COMMENT_MARKER}\n### Custody: access changes`));
    assert.match(gh.comments[0]!.body, '`/api/frames/*` from hdr');
    // The proof, from real OPA sidecars: first in both, after the title (84: every source,
    // destination and method of the movie workflow's matrix, the new flow included).
    const report = JSON.parse(readFileSync(path.join(runnerTemp, 'custody-verify.json'), 'utf8')) as { workflow: string; via: string; mismatches: number }[];
    assert.equal(
      report.map((r) => [r.workflow, r.via, r.mismatches]),
      [['movie-post-production', 'ext_authz gRPC', 0]],
    );
    for (const text of [summary, gh.comments[0]!.body]) {
      assert.match(text, '### Custody: access changes\n\n#### Proof (`custody verify`)\n\nReal OPA enforces exactly this spec: 84 triples checked.\n');
    }
    assert.equal(
      gh.calls.filter((c) => c.operationId?.startsWith('issues/')).map((c) => `${c.operationId} ${c.status}`),
      ['issues/list-comments 200', 'issues/create-comment 201', 'issues/list-comments 200', 'issues/update-comment 200'],
    );
    assert.equal(gh.violations, []);
  } finally {
    await gh.close();
  }
});

test('a pull request that changes a spec without regenerating fails the generate --check step', async () => {
  const dir = await mergeCommit(false);
  const step = steps.find((s) => s.run?.includes('generate --check'))!;
  const r = await runStep(step, dir, { PATH: `${npxShim()}:${process.env.PATH}` }, {});
  assert.is(r.code, 1);
  assert.match(r.stdout, /^stale: bundles\/movie-post-production\/hdr\/data.json \(changed\)$/m);
  assert.match(r.stdout, /stale files?: run custody generate and commit the result/);
});

test.run();
