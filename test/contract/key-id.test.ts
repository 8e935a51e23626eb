/**
 * One key-id rule, the same wherever an id enters: the file names under keys/ (generate), the
 * server's configuration, and the signer. Each id of the table goes through all of them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BundleError, createSigner } from '../../src/bundle/index.js';
import { isKeyId } from '../../src/contract/index.js';
import { KeysError, parseKeys } from '../../src/keys/index.js';
import { ConfigError, loadConfig } from '../../src/server/index.js';

const ACCEPTED = [
  'k',
  '0',
  'custody-example',
  'custody-dev',
  'bundles-2026',
  '2026-rotation',
  'a-b--c',
  'abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefgh', // 63
];
const REFUSED = [
  '',
  'a.b', // served before; now refused everywhere (it was refused by generate)
  'Prod',
  'prod_key',
  '-a',
  'a-',
  'has space',
  'a/b',
  '..',
  'clé',
  'abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghi', // 64
];

const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const dir = mkdtempSync(path.join(tmpdir(), 'custody-key-id-'));

/** Which of the four places accept the id. */
function acceptance(id: string): Record<string, boolean> {
  const attempt = (f: () => unknown, expected: new (...a: never[]) => Error) => {
    try {
      f();
      return true;
    } catch (err) {
      assert.instance(err, expected, id);
      return false;
    }
  };
  return {
    rule: isKeyId(id),
    keys: attempt(() => parseKeys(new Map([[`${id}.pem`, publicKeyPem]]), undefined), KeysError),
    server: attempt(() => loadConfig({ env: {}, cwd: dir, overrides: { repository: dir, signingKeys: [{ id, file: 'signing.pem' }] } }), ConfigError),
    signer: attempt(() => createSigner({ keyId: id, privateKeyPem }), BundleError),
  };
}

test('accepted ids are accepted by the rule, generate (keys/), the server configuration and the signer', () => {
  for (const id of ACCEPTED) assert.equal(acceptance(id), { rule: true, keys: true, server: true, signer: true }, id);
});

test('refused ids are refused by all of them', () => {
  for (const id of REFUSED) assert.equal(acceptance(id), { rule: false, keys: false, server: false, signer: false }, id);
});

test('the refusal says what an id must be', () => {
  assert.throws(
    () => parseKeys(new Map([['a.b.pem', publicKeyPem]]), undefined),
    /keys\/a\.b\.pem: the key id "a\.b" \(the file name without \.pem\) must be a DNS-1123 label \(at most 63 of a-z, 0-9 and -/,
  );
  assert.throws(
    () => loadConfig({ env: {}, cwd: dir, overrides: { repository: dir, signingKeys: [{ id: 'a.b', file: 'k.pem' }] } }),
    /signingKeys\[0\]\.id "a\.b" must be a DNS-1123 label/,
  );
  assert.throws(() => createSigner({ keyId: 'a.b', privateKeyPem }), /key id "a\.b" must be a DNS-1123 label/);
});

test.run();
