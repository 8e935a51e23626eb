/** Reading keys/: algorithms from the key type, the active key, and errors that say what to do. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KeysError, parseKeys, readKeys } from '../../src/keys/index.js';
import { repoPath } from '../helpers/paths.js';

const spki = (k: { publicKey: { export(o: object): string | Buffer } }) => k.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const rsa = spki(generateKeyPairSync('rsa', { modulusLength: 2048 }));
const ec = (namedCurve: string) => spki(generateKeyPairSync('ec', { namedCurve }));

test('the algorithm follows from the key: RSA → RS256, P-256/384/521 → ES256/384/512', () => {
  const set = parseKeys(
    new Map([
      ['b.pem', ec('P-256')],
      ['a.pem', rsa],
      ['c.pem', ec('P-384')],
      ['d.pem', ec('P-521')],
    ]),
    undefined,
  );
  assert.equal(
    set.keys.map((k) => [k.id, k.algorithm]),
    [
      ['a', 'RS256'],
      ['b', 'ES256'],
      ['c', 'ES384'],
      ['d', 'ES512'],
    ],
  );
  assert.is(set.activeKeyId, 'a', 'the first key by id is active');
  assert.is(
    parseKeys(
      new Map([
        ['a.pem', rsa],
        ['b.pem', ec('P-256')],
      ]),
      'b',
    ).activeKeyId,
    'b',
    'keys/active names another',
  );
});

test('bad key sets are refused with what to do', () => {
  const cases: [string, Map<string, string>, string | undefined, RegExp][] = [
    ['no key at all', new Map(), undefined, /no bundle verification key in keys\/.*custody keygen/],
    ['a key id that is not a DNS-1123 label', new Map([['Prod_Key.pem', rsa]]), undefined, /DNS-1123 label/],
    [
      'a private key',
      new Map([['a.pem', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()]]),
      undefined,
      /holds a private key/,
    ],
    [
      'a public key with a private key after it',
      new Map([['a.pem', rsa + generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()]]),
      undefined,
      /holds a private key; remove it/,
    ],
    [
      'a public key with an EC private key after it',
      new Map([['a.pem', rsa + generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString()]]),
      undefined,
      /holds a private key/,
    ],
    ['two public keys in one file', new Map([['a.pem', rsa + rsa]]), undefined, /exactly one PEM block/],
    ['text after the key', new Map([['a.pem', `${rsa}trailing\n`]]), undefined, /exactly one PEM block/],
    ['garbage', new Map([['a.pem', '-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n']]), undefined, /cannot read the public key/],
    ['an unsupported key type', new Map([['a.pem', spki(generateKeyPairSync('ed25519'))]]), undefined, /use an RSA key or an EC key/],
    ['an active key that does not exist', new Map([['a.pem', rsa]]), 'b', /keys\/active names "b".*one of: a/],
  ];
  for (const [what, files, active, message] of cases) {
    try {
      parseKeys(files, active);
      assert.unreachable(what);
    } catch (err) {
      assert.instance(err, KeysError, what);
      assert.match((err as Error).message, message, what);
    }
  }
});

test('readKeys reads *.pem and active, ignores the README; the committed example key is RSA', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-keys-'));
  writeFileSync(path.join(dir, 'one.pem'), rsa);
  writeFileSync(path.join(dir, 'two.pem'), ec('P-256'));
  writeFileSync(path.join(dir, 'README.md'), '# keys\n');
  writeFileSync(path.join(dir, 'active'), 'two\n');
  const set = await readKeys(dir);
  assert.equal([set.keys.map((k) => k.id), set.activeKeyId], [['one', 'two'], 'two']);
  await readKeys(path.join(dir, 'missing')).then(
    () => assert.unreachable('no folder, no keys'),
    (err: Error) => assert.instance(err, KeysError),
  );
  const example = await readKeys(repoPath('keys'));
  assert.equal(
    example.keys.map((k) => [k.id, k.algorithm]),
    [['custody-example', 'RS256']],
  );
});

test.run();
