/** The server following a remote repository over smart HTTP (real git http-backend), as a deployed server does. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readTarball } from '../../src/bundle/index.js';
import { loadConfig, sha256Hex, startServer } from '../../src/server/index.js';
import { basicAuthHeader, bareRepository, startGitHttp } from '../helpers/git-http.js';
import { commitAll, exampleRepository, git } from '../helpers/git-repo.js';
import { makeKey } from '../helpers/server.js';

test('a remote repository is cloned, served, and followed: a push reaches the server at its next fetch', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'custody-remote-'));
  const gitToken = randomBytes(16).toString('hex');
  const remote = await startGitHttp({ root, token: gitToken });
  bareRepository(root, 'acme/custody.git');
  const url = `${remote.url}/acme/custody.git`;
  const work = exampleRepository();
  // Asynchronous: the Git server runs in this process, so a blocking call would never be answered.
  const push = () => promisify(execFile)('git', ['-c', `http.extraHeader=${basicAuthHeader(gitToken)}`, 'push', '-q', url, 'main'], { cwd: work });
  await push();
  const agentToken = randomBytes(16).toString('hex');
  writeFileSync(path.join(root, 'tokens.json'), JSON.stringify({ agents: { 'movie-post-production/color': sha256Hex(agentToken) }, admins: [] }));
  const key = makeKey(root, 'k');
  const config = loadConfig({
    env: {},
    cwd: root,
    overrides: {
      repository: url,
      port: 0,
      pollSeconds: 0.3,
      cacheDir: path.join(root, 'cache'),
      signingKeys: [{ id: 'k', file: key.file }],
      tokensFile: path.join(root, 'tokens.json'),
      decisionLogFile: path.join(root, 'd.jsonl'),
    },
  });
  const server = await startServer(config, { logger: { info() {}, error() {} }, env: { CUSTODY_GIT_TOKEN: gitToken } });
  try {
    const revision = async () => {
      const r = await fetch(`${server.url}/bundles/movie-post-production/color.tar.gz`, { headers: { authorization: `Bearer ${agentToken}` } });
      assert.is(r.status, 200);
      const files = await readTarball(Buffer.from(await r.arrayBuffer()));
      return JSON.parse(files.get('.manifest')!.toString()).revision as string;
    };
    assert.is(await revision(), git(work, 'rev-parse', 'HEAD'));
    const data = path.join(work, 'bundles', 'movie-post-production', 'color', 'data.json');
    writeFileSync(data, readFileSync(data, 'utf8').replace('"/api/color"', '"/api/colour"'));
    const second = commitAll(work, 'rename the path');
    await push();
    const deadline = Date.now() + 10_000;
    while (server.catalog.get('movie-post-production', 'color')!.revision !== second && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.is(await revision(), second);
    assert.ok(
      remote.requests.some((r) => r.url.includes('git-upload-pack') && r.status === 200),
      'fetched over smart HTTP',
    );
    assert.ok(
      remote.requests.every((r) => !r.url.includes(gitToken)),
      'the token never travels in a URL',
    );
  } finally {
    await server.close();
    await remote.close();
  }
});

test.run();
