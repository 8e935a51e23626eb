/**
 * The "done when": from a clone, edit workflows/movie-post-production.yaml, run custody pr
 * against the test remote (a real Git server over smart HTTP) and the GitHub stand-in (every
 * request and response checked against GitHub's OpenAPI description): the branch, the commit and
 * the pull request with the access-change summary are there and correct; running it again
 * updates, never duplicates.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { COMMENT_MARKER } from '../../src/github/index.js';
import { SUMMARY_END, SUMMARY_START } from '../../src/summary/index.js';
import { basicAuthHeader } from '../helpers/git-http.js';
import { startGitHubStandIn, type GitHubStandIn } from '../helpers/github-standin.js';
import { custody, edit, git, gitAsync, MOVIE, remoteWorld, tempDir, TOKEN, type World } from '../helpers/fixture-repository.js';

const FLOW = '- { from: hdr, to: owner, methods: [POST], path: /api/owner }';
const AUTHOR = ['--author-name', 'Ada Lovelace', '--author-email', 'ada@example.invalid'];

async function withWorld(run: (w: World, gh: GitHubStandIn) => Promise<void>) {
  const w = await remoteWorld();
  const hasBranch = (_owner: string, _repo: string, branch: string) => {
    try {
      execFileSync('git', ['--git-dir', w.bare, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const gh = await startGitHubStandIn({ token: TOKEN, repositories: ['acme/custody'], hasBranch });
  try {
    await run(w, gh);
    for (const r of w.server.requests) assert.not.match(r.url, TOKEN);
    assert.equal(gh.violations, []);
  } finally {
    await gh.close();
    await w.server.close();
  }
}

test('custody pr from a clone: branch, commit and pull request with the summary; again: the same pull request, updated', async () => {
  await withWorld(async (w, gh) => {
    edit(
      w.clone,
      MOVIE,
      FLOW,
      `${FLOW}\n    - { from: vfx-2, to: hdr, methods: [GET], path: /api/frames/*, when: [{ days: [Mon, Tue, Wed, Thu, Fri], hours: { from: "08:00", to: "17:00" } }] }`,
    );
    const first = await custody(['pr', '--api-url', gh.url, ...AUTHOR], w.clone, { CUSTODY_GIT_TOKEN: TOKEN });
    assert.is(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stdout, 'created branch custody/movie-post-production (HEAD is on it now)\n');
    assert.match(first.stdout, /committed [0-9a-f]{12} on custody\/movie-post-production: \d+ files/);
    assert.match(first.stdout, `pushed custody/movie-post-production to ${w.remote}\n`);
    assert.match(first.stdout, 'pull request #1 opened: https://github.example/acme/custody/pull/1\n');
    assert.match(first.stdout, /summary comment added: https:\/\/github.example\/acme\/custody\/pull\/1#issuecomment-\d+\n/);
    assert.not.match(first.stdout + first.stderr, TOKEN);
    const commit = git(w.clone, 'rev-parse', 'HEAD');
    assert.is(git(w.clone, 'rev-parse', '--abbrev-ref', 'HEAD'), 'custody/movie-post-production');
    assert.is(git(w.clone, 'rev-parse', 'main'), git(w.clone, 'rev-parse', 'origin/main'), 'main is left where it was');
    assert.is(git(w.clone, 'status', '--porcelain'), '');

    // The branch on the server, seen by native git over HTTP: the commit, and trees that match its specs.
    const check = path.join(tempDir('check'), 'c');
    await gitAsync(
      path.dirname(check),
      '-c',
      `http.extraHeader=${basicAuthHeader(TOKEN)}`,
      'clone',
      '-q',
      '--branch',
      'custody/movie-post-production',
      w.remote,
      check,
    );
    assert.is(git(check, 'rev-parse', 'HEAD'), commit);
    assert.match(
      git(check, 'log', '-1', '--format=%B'),
      /^Policy: movie-post-production: 1 grant added\n\nAccess changes\n  movie-post-production\n    \+ vfx-2 may now GET \/api\/frames\/\* from hdr, Mon–Fri 08:00–17:00 Europe\/Paris; data moves hdr → vfx-2\n/,
    );
    assert.equal(
      git(check, 'diff', '--name-only', 'origin/main', 'HEAD')
        .split('\n')
        .filter((f) => !/^(bundles|generated)\//.test(f)),
      [MOVIE],
    );
    const fresh = await custody(['generate', '--check'], check);
    assert.is(fresh.code, 0, fresh.stdout);

    // The pull request and its comment.
    assert.is(gh.pulls.length, 1);
    const pr = gh.pulls[0]!;
    assert.equal([pr.head, pr.base, pr.state, pr.title], ['custody/movie-post-production', 'main', 'open', 'Policy: movie-post-production: 1 grant added']);
    assert.match(pr.body!, `${SUMMARY_START}\n### Custody: access changes`);
    assert.match(pr.body!, '- vfx-2 **may now** `GET` `/api/frames/*` from hdr, Mon–Fri 08:00–17:00 Europe/Paris; data moves hdr → vfx-2');
    assert.match(pr.body!, '| `clusters/hdr-west` |');
    assert.match(pr.body!, '- `movie-post-production/hdr`: changed (`data.json`)');
    assert.match(pr.body!, SUMMARY_END);
    assert.is(gh.comments.length, 1);
    assert.ok(gh.comments[0]!.body.startsWith(`${COMMENT_MARKER}\n### Custody: access changes`));

    // A second edit, the same command: the same pull request, with the latest summary.
    edit(w.clone, MOVIE, '[GET], path: /api/frames/*', '[GET, POST], path: /api/frames/*');
    const second = await custody(['pr', '--api-url', gh.url, ...AUTHOR], w.clone, { CUSTODY_GIT_TOKEN: TOKEN });
    assert.is(second.code, 0, second.stdout + second.stderr);
    assert.not.match(second.stdout, 'created branch');
    assert.match(second.stdout, 'pull request #1 updated: https://github.example/acme/custody/pull/1\n');
    assert.match(second.stdout, 'summary comment updated');
    assert.is(git(w.bare, 'rev-parse', 'custody/movie-post-production'), git(w.clone, 'rev-parse', 'HEAD'));
    assert.is(git(w.bare, 'rev-parse', 'custody/movie-post-production^'), commit, 'a fast-forward on top of the first commit');
    assert.is(gh.pulls.length, 1);
    assert.match(gh.pulls[0]!.body!, '- vfx-2 **may now** `GET` and `POST` `/api/frames/*` to hdr, Mon–Fri 08:00–17:00 Europe/Paris');
    assert.is(gh.pulls[0]!.body!.split(SUMMARY_START).length, 2);
    assert.is(gh.comments.length, 1);
    assert.match(gh.comments[0]!.body, '`GET` and `POST`');

    // Nothing new: no commit, nothing pushed, the same pull request.
    const third = await custody(['pr', '--api-url', gh.url, ...AUTHOR], w.clone, { CUSTODY_GIT_TOKEN: TOKEN });
    assert.is(third.code, 0, third.stdout + third.stderr);
    assert.match(third.stdout, 'nothing to commit');
    assert.match(third.stdout, 'is already at');
    assert.match(third.stdout, 'pull request #1 updated');
    assert.is(gh.pulls.length, 1);
    assert.is(gh.comments.length, 1);
    assert.equal(
      gh.calls.filter((c) => c.operationId === 'pulls/create').map((c) => c.status),
      [201, 422, 422],
    );
  });
});

test('a refused push stops before GitHub, keeps the commit; the next run, with a valid token, opens the pull request', async () => {
  await withWorld(async (w, gh) => {
    edit(w.clone, MOVIE, FLOW, `${FLOW}\n    - { from: vfx-1, to: owner, methods: [POST], path: /api/owner }`);
    const refused = await custody(['pr', '--api-url', gh.url, ...AUTHOR], w.clone, { CUSTODY_GIT_TOKEN: 'expired' });
    assert.is(refused.code, 3, refused.stdout + refused.stderr);
    assert.match(refused.stderr, 'custody pr: error[auth-failed]');
    assert.match(refused.stderr, 'Nothing is lost: commit');
    assert.is(gh.calls.length, 0);
    const commit = git(w.clone, 'rev-parse', 'HEAD');
    assert.is(git(w.clone, 'rev-parse', '--abbrev-ref', 'HEAD'), 'custody/movie-post-production');
    const retry = await custody(['pr', '--api-url', gh.url, ...AUTHOR], w.clone, { CUSTODY_GIT_TOKEN: TOKEN });
    assert.is(retry.code, 0, retry.stdout + retry.stderr);
    assert.match(retry.stdout, 'nothing to commit');
    assert.match(retry.stdout, 'pull request #1 opened');
    assert.is(git(w.bare, 'rev-parse', 'custody/movie-post-production'), commit);
    assert.match(gh.pulls[0]!.body!, 'vfx-1 **may now** `POST` `/api/owner` to owner');
  });
});

test('nothing to propose, or the base as head: usage errors, nothing pushed or opened', async () => {
  await withWorld(async (w, gh) => {
    const none = await custody(['pr', '--api-url', gh.url, ...AUTHOR], w.clone, { CUSTODY_GIT_TOKEN: TOKEN });
    assert.is(none.code, 2, none.stdout + none.stderr);
    assert.match(none.stderr, 'error[nothing-to-propose]: custody/policy-update has no commit that origin/main lacks');
    // The branch made for the run is gone again, HEAD is back where it was.
    assert.is(git(w.clone, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
    assert.is(git(w.clone, 'branch', '--list', 'custody/*'), '');
    const same = await custody(['pr', '--api-url', gh.url, '--branch', 'main', ...AUTHOR], w.clone, { CUSTODY_GIT_TOKEN: TOKEN });
    assert.is(same.code, 2);
    assert.match(same.stderr, 'error[invalid-option]: the head branch and the base branch are both main');
    // A commit that cannot be made (no author): HEAD back on main, no branch left behind.
    edit(w.clone, MOVIE, FLOW, `${FLOW}\n    - { from: vfx-1, to: owner, methods: [POST], path: /api/owner }`);
    const anonymous = await custody(['pr', '--api-url', gh.url], w.clone, { CUSTODY_GIT_TOKEN: TOKEN, HOME: tempDir('home') });
    assert.is(anonymous.code, 2, anonymous.stdout + anonymous.stderr);
    assert.match(anonymous.stderr, 'error[missing-author]');
    assert.is(git(w.clone, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
    assert.is(git(w.clone, 'branch', '--list', 'custody/*'), '');
    const repo = await custody(['pr', '--repo', 'not a repo'], w.clone);
    assert.is(repo.code, 2);
    assert.match(repo.stderr, '--repo not a repo is not OWNER/NAME');
    assert.is(gh.calls.length, 0);
    assert.is(git(w.bare, 'branch', '--list', 'custody/*'), '');
  });
});

test.run();
