/**
 * Pushing over smart HTTP to a real Git server: Git's git-http-backend on loopback behind the
 * test's CGI bridge. What arrives is checked with native git (a fresh clone over HTTP); every
 * refusal (credentials, protected branch, someone else's commits) must say what happened, exit 3,
 * and leave the local commit where it was.
 */
import { test } from 'uvu';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { basicAuthHeader, protectBranches } from '../helpers/git-http.js';
import { custody, edit, fixtureRepository, git, gitAsync, MOVIE, remoteWorld as world, tempDir, TOKEN, type World } from '../helpers/fixture-repository.js';

/** A person's change, committed by custody commit on a new branch. */
async function changeOnBranch(w: World, branch: string): Promise<string> {
  git(w.clone, 'switch', '-q', '-c', branch);
  edit(
    w.clone,
    MOVIE,
    '- { from: hdr, to: owner, methods: [POST], path: /api/owner }',
    '- { from: hdr, to: owner, methods: [POST], path: /api/owner }\n    - { from: vfx-2, to: hdr, methods: [GET], path: /api/frames/* }',
  );
  const r = await custody(['commit', '--author-name', 'Ada', '--author-email', 'ada@example.invalid'], w.clone);
  assert.is(r.code, 0, r.stderr);
  return git(w.clone, 'rev-parse', 'HEAD');
}

function noTokenAnywhere(w: World, ...outputs: string[]) {
  for (const r of w.server.requests) assert.not.match(r.url, TOKEN, `token in a URL: ${r.url}`);
  for (const o of outputs) assert.not.match(o, TOKEN, 'token in the output');
  assert.not.match(git(w.clone, 'config', '--get-regexp', 'remote\\..*'), TOKEN, 'token in the remote configuration');
}

test('custody push: the branch arrives over smart HTTP; a native clone has the same tree, message and branch', async () => {
  const w = await world();
  try {
    const commit = await changeOnBranch(w, 'custody/movie-post-production');
    const seen = w.server.requests.length;
    const r = await custody(['push'], w.clone, { CUSTODY_GIT_TOKEN: TOKEN });
    const pushed = w.server.requests.slice(seen);
    assert.is(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      `pushed custody/movie-post-production to refs/heads/custody/movie-post-production on ${w.remote}: new branch at ${commit.slice(0, 12)}`,
    );
    // What the server holds, seen by native git through HTTP.
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
    assert.is(git(check, 'rev-parse', '--abbrev-ref', 'HEAD'), 'custody/movie-post-production');
    assert.is(git(check, 'ls-tree', '-r', 'HEAD'), git(w.clone, 'ls-tree', '-r', 'HEAD'));
    const message = git(check, 'log', '-1', '--format=%B');
    assert.ok(message.startsWith('Policy: movie-post-production: 1 grant added'), message);
    assert.match(message, '+ vfx-2 may now GET /api/frames/* from hdr');
    assert.is(git(check, 'log', '-1', '--format=%an <%ae>'), 'Ada <ada@example.invalid>');
    assert.is(git(check, 'status', '--porcelain'), '');
    git(check, 'fsck', '--strict', '--no-progress');
    // The first request went without credentials; the token went only in the Authorization header.
    assert.equal(
      pushed.map((q) => `${q.method} ${q.url.replace(/\?.*/, '')} ${q.scheme ?? '-'} ${q.status}`),
      ['GET /acme/custody.git/info/refs - 401', 'GET /acme/custody.git/info/refs Basic 200', 'POST /acme/custody.git/git-receive-pack Basic 200'],
    );
    noTokenAnywhere(w, r.stdout, r.stderr);
    // Again: nothing new, nothing sent.
    const again = await custody(['push'], w.clone, { CUSTODY_GIT_TOKEN: TOKEN });
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stdout, `is already at ${commit.slice(0, 12)}`);
  } finally {
    await w.server.close();
  }
});

test('a refused or missing token: exit 3, error[auth-failed] with what to do, and the local commit stays', async () => {
  const w = await world();
  try {
    const commit = await changeOnBranch(w, 'custody/x');
    for (const [env, words, hint] of [
      [{ GITHUB_TOKEN: 'wrong-token' }, 'refused the token from GITHUB_TOKEN (HTTP 401)', /\(check that the token in GITHUB_TOKEN is valid/],
      [{}, 'asks for credentials (HTTP 401) and no token is set', /\(set CUSTODY_GIT_TOKEN or GITHUB_TOKEN or GH_TOKEN/],
    ] as const) {
      const r = await custody(['push'], w.clone, env);
      assert.is(r.code, 3, r.stdout + r.stderr);
      assert.match(r.stderr, `custody push: error[auth-failed]: ${w.remote} ${words}`);
      assert.match(r.stderr, `Nothing is lost: commit ${commit.slice(0, 12)} stays on your local branch custody/x.`);
      assert.match(r.stderr, hint);
      assert.not.match(r.stderr, 'wrong-token');
      assert.is(git(w.clone, 'rev-parse', 'custody/x'), commit);
      assert.is(git(w.bare, 'branch', '--list', 'custody/x'), '');
    }
    noTokenAnywhere(w);
  } finally {
    await w.server.close();
  }
});

test("a protected branch: the server hook refuses, exit 3, error[push-rejected] with the remote's words; nothing lost", async () => {
  const w = await world();
  try {
    protectBranches(w.bare, ['main']);
    const before = git(w.bare, 'rev-parse', 'main');
    edit(w.clone, MOVIE, 'path: /api/owner, until', 'path: /api/owner/*, until');
    assert.is((await custody(['commit', '--author-name', 'Ada', '--author-email', 'ada@example.invalid'], w.clone)).code, 0);
    const commit = git(w.clone, 'rev-parse', 'HEAD');
    const r = await custody(['push'], w.clone, { CUSTODY_GIT_TOKEN: TOKEN });
    assert.is(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, `custody push: error[push-rejected]: ${w.remote} refused to update refs/heads/main: pre-receive hook declined.`);
    assert.match(r.stderr, 'GH006: Protected branch update failed for refs/heads/main.');
    assert.match(r.stderr, / \(.*pull request \(custody pr\)/);
    assert.is(git(w.bare, 'rev-parse', 'main'), before);
    assert.is(git(w.clone, 'rev-parse', 'main'), commit);
    assert.is(git(w.clone, 'status', '--porcelain'), '');
  } finally {
    await w.server.close();
  }
});

test('someone else pushed to the branch first: error[non-fast-forward] says how to bring their commits in', async () => {
  const w = await world();
  try {
    const other = path.join(tempDir('other'), 'o');
    git(path.dirname(other), 'clone', '-q', w.bare, other);
    git(other, 'commit', '-q', '--allow-empty', '-m', 'theirs');
    git(other, 'push', '-q', 'origin', 'main');
    edit(w.clone, MOVIE, 'path: /api/owner, until', 'path: /api/owner/*, until');
    assert.is((await custody(['commit', '--author-name', 'Ada', '--author-email', 'ada@example.invalid'], w.clone)).code, 0);
    const commit = git(w.clone, 'rev-parse', 'HEAD');
    const r = await custody(['push'], w.clone, { CUSTODY_GIT_TOKEN: TOKEN });
    assert.is(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, `error[non-fast-forward]: refs/heads/main on ${w.remote} has commits that your main does not.`);
    assert.match(r.stderr, '(bring them in first (git pull --rebase origin main)');
    assert.is(git(w.clone, 'rev-parse', 'HEAD'), commit);
  } finally {
    await w.server.close();
  }
});

test('remotes Custody will not use: SSH, credentials in the URL, a token over plain http to another host, no such remote (exit 2); an unreachable one (exit 3)', async () => {
  const dir = await fixtureRepository();
  const cases: [string[], number, RegExp][] = [
    [['push', '--remote', 'git@github.com:acme/custody.git'], 2, /error\[unsupported-remote\].* \(use https:\/\/github.com\/acme\/custody.git/],
    [['push', '--remote', 'https://x-access-token:secret@github.example/acme/custody.git'], 2, /error\[credentials-in-url\]/],
    // Any scheme: the credentials check comes before the message that quotes the URL.
    [
      ['push', '--remote', 'git+https://x-access-token:secret@github.example/acme/custody.git'],
      2,
      /error\[credentials-in-url\].*\(git\+https:\/\/github.example\/acme\/custody.git\)/,
    ],
    [['push', '--remote', 'ssh://deploy:secret@github.example/acme/custody.git'], 2, /error\[credentials-in-url\]/],
    [['push'], 2, /error\[no-remote\]: no remote "origin"/],
    [
      ['push', '--remote', 'http://127.0.0.1:9/acme/custody.git'],
      3,
      /error\[remote-unreachable\]: cannot reach http:\/\/127.0.0.1:9\/acme\/custody.git \(ECONNREFUSED\)/,
    ],
    // A token over plain http to another machine: refused before any connection.
    [
      ['push', '--remote', 'http://192.0.2.1/acme/custody.git'],
      2,
      /error\[insecure-remote\]: the remote http:\/\/192.0.2.1\/acme\/custody.git is plain http: the token from CUSTODY_GIT_TOKEN would cross the network in clear text, so nothing was sent/,
    ],
    [
      ['pr', '--remote', 'https://github.example/acme/custody.git', '--api-url', 'http://github.example/api/v3'],
      2,
      /error\[insecure-remote\]: the API root http:\/\/github.example\/api\/v3 is plain http/,
    ],
    [
      ['comment', '--pr', '1', '--base', 'HEAD', '--repo', 'acme/custody', '--api-url', 'http://github.example/api/v3'],
      2,
      /error\[insecure-remote\]: the API root/,
    ],
    // The scheme as a URL parser reads it: upper case and leading spaces change nothing.
    [['comment', '--pr', '1', '--base', 'HEAD', '--repo', 'acme/custody', '--api-url', 'HTTP://192.0.2.2:8089'], 2, /error\[insecure-remote\]: the API root/],
    [['comment', '--pr', '1', '--base', 'HEAD', '--repo', 'acme/custody', '--api-url', ' http://192.0.2.2:8089'], 2, /error\[insecure-remote\]: the API root/],
    [
      ['comment', '--pr', '1', '--base', 'HEAD', '--repo', 'acme/custody', '--api-url', 'ftp://192.0.2.2/'],
      2,
      /error\[invalid-option\]: the API root ftp:\/\/192.0.2.2\/ is not an http\(s\) URL/,
    ],
    // Passwords holding "@" or "/": nothing of them is printed.
    [
      ['push', '--remote', 'https://user:p@secret@github.example/acme/custody.git'],
      2,
      /error\[credentials-in-url\].*\(https:\/\/github.example\/acme\/custody.git\)/,
    ],
    [
      ['push', '--remote', 'https://user:pa/secret@github.example/acme/custody.git'],
      2,
      /error\[credentials-in-url\]: the URL of the remote \(https:\/\/…@github.example\/acme\/custody.git\) carries credentials/,
    ],
  ];
  for (const [args, code, pattern] of cases) {
    const r = await custody(args, dir, { CUSTODY_GIT_TOKEN: 'secret' });
    assert.is(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.not.match(r.stderr, 'secret');
  }
});

test('a remote URL with credentials in any spelling is refused as one, and nothing of them is printed', async () => {
  const dir = await fixtureRepository();
  for (const remote of [
    'HTTPS://user:s3cretTOKEN@github.example/acme/custody.git',
    'https:/user:s3cretTOKEN@github.example/acme/custody.git',
    'git+https://user:s3cretTOKEN@github.example/acme/custody.git',
    ' https://user:s3cretTOKEN@github.example/acme/custody.git',
    'git+https:/user:s3cretTOKEN@github.example/acme/custody.git',
    's3cretTOKEN@github.example/acme/custody.git',
  ]) {
    for (const command of ['push', 'pr']) {
      const r = await custody([command, '--remote', remote], dir, { CUSTODY_GIT_TOKEN: 'secret' });
      assert.is(r.code, 2, `${command} ${JSON.stringify(remote)}: ${r.stderr}`);
      assert.match(r.stderr, /error\[credentials-in-url\]: the URL of the remote \([^)]*github\.example\/acme\/custody\.git\) carries credentials/, remote);
      assert.not.match(r.stdout + r.stderr, /s3cret|user:/, `${command} ${JSON.stringify(remote)}: printed`);
    }
  }
});

test('a remote that redirects is not followed with the token: the other server sees nothing, the push reports the redirect, the commit stays', async () => {
  const dir = await fixtureRepository();
  const seen: string[] = [];
  const elsewhere = createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
  const target = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
  const asks: string[] = [];
  const redirecting = createServer((req, res) => {
    asks.push(req.headers.authorization ? 'with credentials' : 'without');
    // As a server that moved would: ask for credentials, then send the client away.
    if (!req.headers.authorization) res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end();
    else res.writeHead(302, { location: `${target}${req.url}` }).end();
  });
  await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
  try {
    const remote = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/acme/custody.git`;
    const head = git(dir, 'rev-parse', 'HEAD');
    const r = await custody(['push', '--remote', remote], dir, { CUSTODY_GIT_TOKEN: 'secret' });
    assert.is(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, `error[remote-error]: ${remote} answered with a redirect (HTTP 302); Custody follows no redirect with a token`);
    assert.match(r.stderr, 'Nothing is lost');
    assert.equal(seen, [], 'the server redirected to got no request, so no token');
    assert.ok(asks.length > 0);
    assert.is(git(dir, 'rev-parse', 'HEAD'), head);
  } finally {
    redirecting.close();
    elsewhere.close();
  }
});

test.run();
