/**
 * What a real OPA sidecar does with bundles that must not be enforced: changed after signing,
 * signed by a key it does not trust, or not signed at all. It rejects each, keeps enforcing the
 * last good bundle, and reports the error in its status. The bundles come from a test harness
 * that serves whatever bytes it is given, since the bundle server itself never serves such a bundle.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildBundle, createSigner, readTarball, writeTarball } from '../../src/bundle/index.js';
import { envoyInput } from '../helpers/opa.js';
import { repoPath } from '../helpers/paths.js';
import { makeKey } from '../helpers/server.js';
import { eventually, startSidecar } from '../helpers/sidecar.js';

test('real OPA rejects tampered, foreign-signed and unsigned bundles and keeps the last good one', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-tamper-'));
  const trusted = makeKey(dir, 'trusted');
  const foreign = makeKey(dir, 'foreign');
  const signer = createSigner({ keyId: 'custody', privateKeyPem: readFileSync(trusted.file) });
  const foreignSigner = createSigner({ keyId: 'custody', privateKeyPem: readFileSync(foreign.file) });
  const sourceDir = repoPath('bundles', 'movie-post-production', 'color');
  const files = new Map(readdirSync(sourceDir).map((f) => [f, readFileSync(path.join(sourceDir, f))]));

  const good = await buildBundle({ files, revision: 'good', signer, iat: 1 });
  const tampered = await readTarball(good.bytes);
  tampered.set('data.json', Buffer.from(tampered.get('data.json')!.toString().replace('"/api/color"', '"/*"')));
  const variants: Record<string, Buffer> = {
    tampered: await writeTarball(tampered),
    foreign: (await buildBundle({ files, revision: 'foreign', signer: foreignSigner, iat: 1 })).bytes,
    unsigned: (await buildBundle({ files, revision: 'unsigned' })).bytes,
    good2: (await buildBundle({ files, revision: 'good2', signer, iat: 2 })).bytes,
  };

  let current = good.bytes;
  let etag = '"good"';
  const statuses: { bundles?: { custody?: { code?: string; message?: string; active_revision?: string } } }[] = [];
  const harness = http.createServer((req, res) => {
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        if (req.url === '/status') statuses.push(JSON.parse(body));
        res.writeHead(200).end('{}');
      });
      return;
    }
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, { 'content-type': 'application/gzip', etag }).end(current);
  });
  await new Promise<void>((r) => harness.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(harness.address() as AddressInfo).port}`;
  const sidecar = await startSidecar({
    serverUrl: url,
    workflow: 'movie-post-production',
    agent: 'color',
    token: 't',
    keyId: 'custody',
    publicKeyPem: trusted.publicKeyPem,
  });
  const vfx2 = 'spiffe://mesh.vfx.example/ns/movie-post-production/sa/vfx-2';
  try {
    await eventually(
      () => sidecar.revision(),
      (r) => r === 'good',
      15_000,
      'the good bundle',
    );
    assert.is(await sidecar.decide(envoyInput(vfx2, 'POST', '/api/color')), true);
    assert.is(await sidecar.decide(envoyInput(vfx2, 'POST', '/admin')), false);

    const expected: Record<string, RegExp> = {
      tampered: /digest mismatch/,
      foreign: /verification error|failed to verify/,
      unsigned: /missing \.signatures\.json/,
    };
    for (const [name, pattern] of Object.entries(expected)) {
      current = variants[name]!;
      etag = `"${name}"`;
      const seen = statuses.length;
      // OPA posts its status after every poll: reports about the previous variant may still
      // arrive, so wait for the one about this variant.
      const status = await eventually(
        async () => statuses.slice(seen).find((s) => s.bundles?.custody?.code === 'bundle_error' && pattern.test(s.bundles.custody.message ?? '')),
        (s) => s !== undefined,
        15_000,
        `OPA's error report for the ${name} bundle`,
      );
      assert.is(status!.bundles!.custody!.active_revision, 'good', `${name}: still enforcing the good revision`);
      assert.is(await sidecar.revision(), 'good');
      assert.is(await sidecar.decide(envoyInput(vfx2, 'POST', '/admin')), false, `${name}: the tampered rule is not in force`);
    }
    current = variants.good2!;
    etag = '"good2"';
    await eventually(
      () => sidecar.revision(),
      (r) => r === 'good2',
      15_000,
      'the next good bundle',
    );
  } finally {
    await sidecar.stop();
    harness.closeAllConnections();
    await new Promise((r) => harness.close(r));
  }
});

test.run();
