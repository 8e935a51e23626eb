/**
 * The GitHub webhook spends nothing on a caller before it proves it holds the secret: without a
 * secret configured, with a compressed body or a malformed signature it answers from the headers
 * alone (the promised body is never sent here, so a server that waited for it would not answer);
 * the signature is checked against the raw, size-bounded body; replays are refused.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commitAll } from '../helpers/git-repo.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startTestServer } from '../helpers/server.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServerError } from '../../src/server/errors.js';
import { createWebhook } from '../../src/server/webhook.js';

const SECRET = 'webhook-test-secret';
const sign = (body: string | Buffer, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const promised = (headers: string[], length = 8_000_000) =>
  [
    'POST /hooks/github HTTP/1.1',
    'Host: x',
    'Content-Type: application/json',
    'X-GitHub-Event: push',
    `X-GitHub-Delivery: ${randomUUID()}`,
    `Content-Length: ${length}`,
    ...headers,
  ].join('\n');

test('no webhook secret configured: refused from the headers, the promised body (within the bound) is never awaited', async () => {
  const t = await startTestServer({ pollSeconds: 3600 });
  try {
    const r = await rawRequest(`${t.server.url}/`, promised([`X-Hub-Signature-256: ${sign('x')}`], 500_000));
    // As a wrong signature is: the caller does not learn whether a secret is set.
    assert.is(r.status, 401);
    assert.ok(r.answeredAfterMs < 1000, `answered after ${r.answeredAfterMs} ms`);
    assert.ok(r.closed, 'the connection is closed');
  } finally {
    await t.server.close();
  }
});

test('with a secret: compressed bodies (415), malformed or missing signatures (401), oversized bodies (413) refused before reading', async () => {
  const t = await startTestServer({ webhookSecret: SECRET, pollSeconds: 3600 });
  try {
    const signature = `X-Hub-Signature-256: ${sign('whatever')}`;
    const cases: [string, string[], number, number?][] = [
      ['gzip', ['Content-Encoding: gzip', signature], 415],
      ['deflate', ['Content-Encoding: deflate', signature], 415],
      ['no signature', [], 401],
      ['signature of another scheme', [`X-Hub-Signature: sha1=${'0'.repeat(40)}`], 401],
      ['a 0xff byte in the signature', [`X-Hub-Signature-256: sha256=${'a'.repeat(63)}\xff`], 401],
      ['too long for the bound', [signature], 413, 2 * 1024 * 1024],
    ];
    for (const [name, headers, status, length] of cases) {
      const r = await rawRequest(`${t.server.url}/`, promised(headers, length));
      assert.is(r.status, status, name);
      assert.ok(r.answeredAfterMs < 1000, `${name}: answered after ${r.answeredAfterMs} ms`);
      assert.ok(r.closed, `${name}: the connection is closed`);
      assert.not.match(r.body, /internal error/, name);
    }
    assert.match(t.logs.join('\n'), /webhook refused/, 'refusals are logged');
  } finally {
    await t.server.close();
  }
});

test('signed pushes refresh at once; a wrong signature over the raw body is refused; a delivery is accepted once', async () => {
  const t = await startTestServer({ webhookSecret: SECRET, pollSeconds: 3600 });
  try {
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`${t.server.url}/hooks/github`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...headers } });
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'x' });
    assert.is((await post(body, { 'x-hub-signature-256': sign(body, 'wrong'), 'x-github-delivery': randomUUID() })).status, 401);
    assert.is(
      (await post(body, { 'x-hub-signature-256': sign(`${body} `), 'x-github-delivery': randomUUID() })).status,
      401,
      'the signature covers the exact bytes',
    );
    assert.is((await post(body, { 'x-hub-signature-256': sign(body) })).status, 400, 'GitHub always names its delivery');

    const data = path.join(t.repo, 'bundles', 'movie-post-production', 'hdr', 'data.json');
    writeFileSync(data, readFileSync(data, 'utf8').replace('"/api/hdr"', '"/api/hdr2"'));
    const commit = commitAll(t.repo, 'hdr path');
    const delivery = randomUUID();
    const accepted = await post(body, { 'x-hub-signature-256': sign(body), 'x-github-delivery': delivery });
    assert.is(accepted.status, 202);
    const deadline = Date.now() + 5000;
    while (t.server.catalog.get('movie-post-production', 'hdr')!.revision !== commit && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.is(t.server.catalog.get('movie-post-production', 'hdr')!.revision, commit);

    assert.is((await post(body, { 'x-hub-signature-256': sign(body), 'x-github-delivery': delivery })).status, 409, 'the same delivery again');
    assert.is(
      (await post(body, { 'x-hub-signature-256': sign(body), 'x-github-delivery': randomUUID() })).status,
      409,
      'the same signed body under another delivery id',
    );
    const other = JSON.stringify({ ref: 'refs/heads/main', after: 'y' });
    assert.is((await post(other, { 'x-hub-signature-256': sign(other), 'x-github-delivery': randomUUID() })).status, 202, 'a new delivery');
    const ping = JSON.stringify({ zen: 'Keep it logically awesome.' });
    assert.is((await post(ping, { 'x-hub-signature-256': sign(ping), 'x-github-delivery': randomUUID(), 'x-github-event': 'ping' })).status, 202);
    const notJson = 'not json';
    assert.is(
      (await post(notJson, { 'x-hub-signature-256': sign(notJson), 'x-github-delivery': randomUUID() })).status,
      400,
      'parsed only after the signature, and refused when not JSON',
    );
  } finally {
    await t.server.close();
  }
});

test('a body sent without a length is cut at the bound', async () => {
  const t = await startTestServer({ webhookSecret: SECRET, pollSeconds: 3600 });
  try {
    const chunk = 'x'.repeat(64 * 1024);
    const chunked = Array.from({ length: 24 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('') + '0\r\n\r\n';
    const head = [
      'POST /hooks/github HTTP/1.1',
      'Host: x',
      'X-GitHub-Event: push',
      `X-GitHub-Delivery: ${randomUUID()}`,
      `X-Hub-Signature-256: ${sign('x')}`,
      'Transfer-Encoding: chunked',
    ].join('\n');
    const r = await rawRequest(`${t.server.url}/`, head, { body: chunked });
    assert.is(r.status, 413);
    assert.ok(r.closed);
  } finally {
    await t.server.close();
  }
});

test('slow bodies cannot keep a genuine delivery out: the oldest read gives way to the newest', async () => {
  const t = await startTestServer({ webhookSecret: SECRET, pollSeconds: 3600 });
  try {
    // Anyone can send a well-formed signature and promise a body it never sends: four fill every slot.
    const slow = Array.from({ length: 4 }, () => rawRequest(`${t.server.url}/`, promised([`X-Hub-Signature-256: ${sign('x')}`], 500), { waitMs: 4000 }));
    await new Promise((r) => setTimeout(r, 300));
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'z' });
    const genuine = await fetch(`${t.server.url}/hooks/github`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': sign(body), 'x-github-delivery': randomUUID() },
    });
    assert.is(genuine.status, 202, 'the genuine delivery is read');
    const first = await slow[0]!;
    assert.is(first.status, 503, 'the oldest slow read gave way');
    assert.ok(first.closed, 'and its connection is closed');
  } finally {
    await t.server.close();
  }
});

test('a body must arrive within the read deadline (408), and its slot is free again', async () => {
  let refreshed = 0;
  const webhook = createWebhook({ secret: SECRET, maxBodyBytes: 1024 * 1024, branch: () => 'main', onPush: () => refreshed++, readMs: 300 });
  const server = http.createServer((req, res) => {
    webhook(req).then(
      (r) => res.writeHead(202).end(JSON.stringify(r)),
      (err: unknown) => res.writeHead(err instanceof ServerError ? err.status : 500, { connection: 'close' }).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const r = await rawRequest(url, promised([`X-Hub-Signature-256: ${sign('x')}`], 500), { waitMs: 3000 });
    assert.is(r.status, 408);
    assert.ok(r.answeredAfterMs >= 250 && r.answeredAfterMs < 2000, `answered after ${r.answeredAfterMs} ms`);
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const ok = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': sign(body), 'x-github-delivery': randomUUID() },
    });
    assert.is(ok.status, 202);
    assert.is(refreshed, 1);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test.run();
