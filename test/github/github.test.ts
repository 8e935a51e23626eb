/**
 * Pull requests and the summary comment through @octokit/rest, against a stand-in that checks
 * every request and response with GitHub's OpenAPI description (see test/helpers/github-standin.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitopsError } from '../../src/git/index.js';
import { apiUrlFor, COMMENT_MARKER, gitHubClient, repositoryFromUrl, upsertPullRequest, upsertSummaryComment, withSummary } from '../../src/github/index.js';
import { SUMMARY_END, SUMMARY_START } from '../../src/summary/index.js';
import { ACTIONS_BOT, startGitHubStandIn, TOKEN_USER, type Account, type GitHubStandIn } from '../helpers/github-standin.js';

const TOKEN = 'ghs_standin0123456789';
const token = { value: TOKEN, source: 'GITHUB_TOKEN' };
const spec = (summary: string) => ({
  owner: 'acme',
  repo: 'custody',
  base: 'main',
  head: 'custody/movie-post-production',
  title: 'Policy: movie-post-production',
  summaryMarkdown: summary,
});

async function withStandIn(run: (s: GitHubStandIn) => Promise<void>, options: Partial<Parameters<typeof startGitHubStandIn>[0]> = {}) {
  const s = await startGitHubStandIn({ token: TOKEN, repositories: ['acme/custody'], ...options });
  try {
    await run(s);
  } finally {
    await s.close();
  }
}

test('creates the pull request, then updates it through the 422 "already exists" path: one pull request, latest summary', async () => {
  await withStandIn(async (s) => {
    const octokit = gitHubClient({ token, apiUrl: s.url });
    const first = await upsertPullRequest(octokit, spec('vfx-2 may now POST /api/color to color'));
    assert.is(first.created, true);
    assert.is(first.number, 1);
    assert.match(first.url, /\/acme\/custody\/pull\/1$/);
    const second = await upsertPullRequest(octokit, spec('hdr may no longer POST /api/owner to owner'));
    assert.is(second.created, false);
    assert.is(second.number, 1);
    assert.is(s.pulls.length, 1);
    assert.match(s.pulls[0]!.body!, 'hdr may no longer POST /api/owner to owner');
    assert.not.match(s.pulls[0]!.body!, 'vfx-2 may now');
    assert.is(s.pulls[0]!.title, 'Policy: movie-post-production');
    assert.equal(
      s.calls.map((c) => `${c.operationId} ${c.status}`),
      ['pulls/create 201', 'pulls/create 422', 'pulls/list 200', 'pulls/update 200'],
    );
    assert.equal(s.violations, []);
  });
});

test("the summary section is replaced in place: the author's own text in the description stays", async () => {
  await withStandIn(async (s) => {
    const octokit = gitHubClient({ token, apiUrl: s.url });
    await upsertPullRequest(octokit, spec('first'));
    s.pulls[0]!.body = `Why: the colourist needs frames earlier.\n\n${s.pulls[0]!.body}\nReviewed-by: someone`;
    await upsertPullRequest(octokit, spec('second'));
    const body = s.pulls[0]!.body!;
    assert.ok(body.startsWith('Why: the colourist needs frames earlier.\n\n'), body);
    assert.ok(body.endsWith('\nReviewed-by: someone'), body);
    assert.is(body.split(SUMMARY_START).length, 2);
    assert.match(body, `${SUMMARY_START}\nsecond\n${SUMMARY_END}`);
    assert.equal(s.violations, []);
  });
  assert.is(withSummary(null, 'x'), `${SUMMARY_START}\nx\n${SUMMARY_END}\n`);
  assert.is(withSummary('mine', 'x'), `mine\n\n${SUMMARY_START}\nx\n${SUMMARY_END}\n`);
});

test('one summary comment: created, then updated in place (found by its marker past the first page)', async () => {
  await withStandIn(async (s) => {
    const octokit = gitHubClient({ token, apiUrl: s.url });
    const pr = await upsertPullRequest(octokit, spec('s'));
    for (let i = 0; i < 130; i++)
      s.comments.push({
        id: i + 1,
        issue: pr.number,
        body: `comment ${i}`,
        owner: 'acme',
        repo: 'custody',
        created: '2026-01-01T00:00:00Z',
        updated: '2026-01-01T00:00:00Z',
      });
    const a = await upsertSummaryComment(octokit, { owner: 'acme', repo: 'custody', number: pr.number }, 'summary one');
    assert.is(a.created, true);
    const b = await upsertSummaryComment(octokit, { owner: 'acme', repo: 'custody', number: pr.number }, 'summary two');
    assert.is(b.created, false);
    assert.is(b.id, a.id);
    const mine = s.comments.filter((c) => c.body.startsWith(COMMENT_MARKER));
    assert.is(mine.length, 1);
    assert.is(mine[0]!.body, `${COMMENT_MARKER}\nsummary two\n`);
    // The second run had to read two pages of 100 to find it.
    assert.is(s.calls.filter((c) => c.operationId === 'issues/list-comments').length, 4);
    assert.equal(s.violations, []);
  });
});

test('withSummary: a summary that carries a marker cannot split the section; a body that gathered several sections comes back to one', () => {
  const hostile = `- note: ${SUMMARY_END} <!--\n- ${SUMMARY_START} ${COMMENT_MARKER}`;
  const escaped = '- note: &lt;!-- custody-summary:end --> &lt;!--\n- &lt;!-- custody-summary:start --> &lt;!-- custody-summary -->';
  let body = 'Why: notes.';
  const lengths: number[] = [];
  for (let i = 0; i < 3; i++) {
    body = withSummary(body, hostile);
    lengths.push(body.length);
  }
  assert.is(new Set(lengths).size, 1, String(lengths));
  assert.is(body, `Why: notes.\n\n${SUMMARY_START}\n${escaped}\n${SUMMARY_END}\n`);
  // What an earlier version left after a few updates: the section runs to the last end marker.
  const gathered = `Why: notes.\n\n${SUMMARY_START}\nnew ${SUMMARY_END} <!--\n${SUMMARY_END} <!--\n${SUMMARY_END}\nReviewed-by: someone`;
  assert.is(withSummary(gathered, 'clean'), `Why: notes.\n\n${SUMMARY_START}\nclean\n${SUMMARY_END}\nReviewed-by: someone`);
});

const MALLORY: Account = { login: 'mallory', id: 666, type: 'User' };
const OTHER_APP: Account = { login: 'other-app[bot]', id: 777, type: 'Bot' };
const planted = (issue: number, id: number, user: Account) => ({
  id,
  issue,
  body: `${COMMENT_MARKER}\nNo change to access, manifests or policy bundles.\n`,
  owner: 'acme',
  repo: 'custody',
  created: '2026-01-01T00:00:00Z',
  updated: '2026-01-01T00:00:00Z',
  user,
});

test('summary comment: one with the marker written by someone else (mallory) is left alone; Custody writes and then updates its own', async () => {
  await withStandIn(async (s) => {
    const octokit = gitHubClient({ token, apiUrl: s.url });
    const pr = await upsertPullRequest(octokit, spec('s'));
    s.comments.push(planted(pr.number, 7, MALLORY));
    const a = await upsertSummaryComment(octokit, { owner: 'acme', repo: 'custody', number: pr.number }, 'summary one');
    assert.is(a.created, true);
    assert.is.not(a.id, 7);
    const b = await upsertSummaryComment(octokit, { owner: 'acme', repo: 'custody', number: pr.number }, 'summary two');
    assert.is(b.created, false);
    assert.is(b.id, a.id);
    assert.equal(
      s.comments.map((c) => [c.id, c.user?.login, c.body]),
      [
        [7, 'mallory', `${COMMENT_MARKER}\nNo change to access, manifests or policy bundles.\n`],
        [a.id, TOKEN_USER.login, `${COMMENT_MARKER}\nsummary two\n`],
      ],
    );
    assert.equal(
      s.calls.filter((c) => c.operationId === 'users/get-authenticated').map((c) => c.status),
      [200, 200],
    );
    assert.equal(s.violations, []);
  });
});

test("summary comment with GITHUB_TOKEN or an app's token (GET /user: 403): in GitHub Actions only github-actions[bot]'s, elsewhere only a bot's", async () => {
  await withStandIn(
    async (s) => {
      const octokit = gitHubClient({ token, apiUrl: s.url });
      const target = { owner: 'acme', repo: 'custody', number: 1 };
      s.comments.push(planted(1, 7, MALLORY), planted(1, 8, OTHER_APP));
      const actions = { GITHUB_ACTIONS: 'true' };
      const a = await upsertSummaryComment(octokit, target, 'summary one', actions);
      assert.is(a.created, true);
      const b = await upsertSummaryComment(octokit, target, 'summary two', actions);
      assert.equal([b.created, b.id], [false, a.id]);
      assert.equal(
        s.comments.map((c) => [c.id, c.user?.login, c.body.split('\n')[1]]),
        [
          [7, 'mallory', 'No change to access, manifests or policy bundles.'],
          [8, 'other-app[bot]', 'No change to access, manifests or policy bundles.'],
          [a.id, ACTIONS_BOT.login, 'summary two'],
        ],
      );
      assert.equal(
        s.calls.filter((c) => c.operationId === 'users/get-authenticated').map((c) => c.status),
        [403, 403],
      );
      assert.equal(s.violations, []);
    },
    { tokenKind: 'integration' },
  );
  // Outside GitHub Actions an installation token's own login is unknown: a bot's comment is taken, a person's never.
  await withStandIn(
    async (s) => {
      const octokit = gitHubClient({ token, apiUrl: s.url });
      const target = { owner: 'acme', repo: 'custody', number: 1 };
      s.comments.push(planted(1, 7, MALLORY));
      const a = await upsertSummaryComment(octokit, target, 'summary one', {});
      assert.is(a.created, true);
      const b = await upsertSummaryComment(octokit, target, 'summary two', {});
      assert.equal([b.created, b.id], [false, a.id]);
      assert.is(s.comments.find((c) => c.id === 7)!.body.split('\n')[1], 'No change to access, manifests or policy bundles.');
      assert.equal(s.violations, []);
    },
    { tokenKind: 'integration', account: { login: 'custody-app[bot]', id: 99, type: 'Bot' } },
  );
});

test("the stand-in fails a request GitHub's description does not allow: unknown route, missing field, wrong type, bad response", async () => {
  await withStandIn(async (s) => {
    const octokit = gitHubClient({ token, apiUrl: s.url });
    // Untyped on purpose: Octokit's types would refuse these at compile time; the point is what the stand-in does at run time.
    const raw = (route: string, params: Record<string, unknown>) => octokit.request(route, params);
    await raw('GET /repos/{owner}/{repo}/pullz', { owner: 'acme', repo: 'custody' }).catch(() => undefined);
    await raw('POST /repos/{owner}/{repo}/pulls', { owner: 'acme', repo: 'custody', base: 'main', title: 't' }).catch(() => undefined);
    await raw('POST /repos/{owner}/{repo}/pulls', { owner: 'acme', repo: 'custody', base: 'main', head: 'x', title: 42 }).catch(() => undefined);
    await raw('GET /repos/{owner}/{repo}/pulls', { owner: 'acme', repo: 'custody', state: 'shut' }).catch(() => undefined);
    await raw('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { owner: 'acme', repo: 'custody', pull_number: 'one', body: 'x' }).catch(() => undefined);
    assert.is(s.violations.length, 5, s.violations.join('\n'));
    assert.match(s.violations[0]!, /GET \/repos\/acme\/custody\/pullz: no such route/);
    assert.match(s.violations[1]!, /pulls\/create: request body: .*must have required property 'head'/);
    assert.match(s.violations[2]!, /pulls\/create: request body: \/title must be string/);
    assert.match(s.violations[3]!, /query parameter state=shut: .*allowed values/);
    assert.match(s.violations[4]!, /path parameter pull_number=one: .*must be integer/);
    s.violations.length = 0;
    s.breakNextResponse('pulls/create');
    await upsertPullRequest(octokit, spec('s')).catch(() => undefined);
    assert.is(s.violations.length, 1);
    assert.match(s.violations[0]!, /response 201 of pulls\/create does not match its schema: \/id must be integer/);
  });
});

test("GitHub's refusals become typed errors that say what to do", async () => {
  await withStandIn(
    async (s) => {
      const bad = gitHubClient({ token: { value: 'wrong', source: 'GITHUB_TOKEN' }, apiUrl: s.url });
      const auth = await upsertPullRequest(bad, spec('s')).catch((e: unknown) => e);
      assert.instance(auth, GitopsError);
      assert.is((auth as GitopsError).code, 'github-auth');
      assert.match((auth as GitopsError).hint!, /GITHUB_TOKEN/);
      const octokit = gitHubClient({ token, apiUrl: s.url });
      const missing = await upsertPullRequest(octokit, { ...spec('s'), repo: 'nope' }).catch((e: unknown) => e);
      assert.is((missing as GitopsError).code, 'github-not-found');
      const comment = await upsertSummaryComment(bad, { owner: 'acme', repo: 'custody', number: 1 }, 's').catch((e: unknown) => e);
      assert.is((comment as GitopsError).code, 'github-auth');
      assert.equal(s.violations, []);
      assert.is(s.pulls.length, 0);
    },
    { hasBranch: () => true },
  );
  await withStandIn(
    async (s) => {
      const octokit = gitHubClient({ token, apiUrl: s.url });
      const err = await upsertPullRequest(octokit, spec('s')).catch((e: unknown) => e);
      assert.is((err as GitopsError).code, 'github-rejected');
      assert.match((err as GitopsError).message, /HTTP 422/);
      assert.equal(s.violations, []);
    },
    { hasBranch: () => false },
  );
  const down = await upsertPullRequest(gitHubClient({ token, apiUrl: 'http://127.0.0.1:9' }), spec('s')).catch((e: unknown) => e);
  assert.is((down as GitopsError).code, 'github-unreachable');
});

test('GitHub Enterprise Server: the API under /api/v3, checked against the GHES description', async () => {
  assert.is(apiUrlFor('https://ghe.example/acme/custody.git'), 'https://ghe.example/api/v3');
  assert.is(apiUrlFor('https://github.com/acme/custody.git'), 'https://api.github.com');
  assert.equal(repositoryFromUrl('https://ghe.example/acme/custody.git'), { owner: 'acme', repo: 'custody' });
  await withStandIn(
    async (s) => {
      assert.match(s.url, /\/api\/v3$/);
      const octokit = gitHubClient({ token, apiUrl: `${s.url}/` });
      assert.is((await upsertPullRequest(octokit, spec('a'))).created, true);
      assert.is((await upsertPullRequest(octokit, spec('b'))).created, false);
      await upsertSummaryComment(octokit, { owner: 'acme', repo: 'custody', number: 1 }, 'b');
      assert.is(s.pulls.length, 1);
      assert.ok(s.calls.every((c) => c.path.startsWith('/api/v3/')));
      assert.equal(s.violations, []);
    },
    { prefix: '/api/v3', spec: 'ghes-3.19' },
  );
});

test.run();
