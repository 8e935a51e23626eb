/** The key primitives every part shares: curve → algorithm, the fingerprint, new signing keys, the errors. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CustodyError } from '../../src/core/errors.js';
import { algorithmOf, ecAlgorithm, fingerprint, generateSigningKey, KeysError, parseKeys } from '../../src/keys/index.js';
import { ConfigError, loadConfig } from '../../src/server/index.js';
import { repoPath } from '../helpers/paths.js';

test('the algorithm follows from the key type and curve; other keys have none', () => {
  const cases: [string, () => { publicKey: KeyObject; privateKey: KeyObject }, string | undefined][] = [
    ['RSA', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'RS256'],
    ['P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'ES256'],
    ['P-384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'ES384'],
    ['P-521', () => generateKeyPairSync('ec', { namedCurve: 'P-521' }), 'ES512'],
    ['secp256k1', () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }), undefined],
    ['Ed25519', () => generateKeyPairSync('ed25519'), undefined],
  ];
  for (const [what, make, expected] of cases) {
    const { publicKey, privateKey } = make();
    assert.is(algorithmOf(publicKey), expected, what);
    assert.is(algorithmOf(privateKey), expected, `${what}, private`);
  }
  assert.equal(
    [ecAlgorithm('prime256v1'), ecAlgorithm('secp384r1'), ecAlgorithm('secp521r1'), ecAlgorithm('secp256k1'), ecAlgorithm(undefined)],
    ['ES256', 'ES384', 'ES512', undefined, undefined],
  );
});

test('the fingerprint of the committed example key is the one openssl prints', () => {
  // openssl pkey -pubin -in keys/custody-example.pem -outform DER | openssl dgst -sha256 -binary | base64
  assert.is(fingerprint(createPublicKey(readFileSync(repoPath('keys', 'custody-example.pem')))), 'SHA256:0MHIQcnLWOo3NgsZq2TcFhMCaRQDNk2tcn8mmuvviZU');
});

test('a new signing key: PKCS#8 private, SPKI public of the same key, RSA 3072 or P-256, and its fingerprint', () => {
  const cases = [
    ['RS256', 'rsa', { modulusLength: 3072 }],
    ['ES256', 'ec', { namedCurve: 'prime256v1' }],
  ] as const;
  for (const [algorithm, type, details] of cases) {
    const pair = generateSigningKey(algorithm);
    assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/, algorithm);
    assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/, algorithm);
    const key = createPrivateKey(pair.privateKeyPem);
    assert.is(key.asymmetricKeyType, type);
    assert.equal({ ...key.asymmetricKeyDetails }, { ...details, ...(type === 'rsa' ? { publicExponent: 65537n } : {}) });
    const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
    assert.ok(der.equals(createPublicKey(pair.publicKeyPem).export({ type: 'spki', format: 'der' })), "the public key is the private key's");
    assert.is(pair.fingerprint, `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`);
    assert.is(fingerprint(key), pair.fingerprint, 'a private key by its public half');
  }
});

test('KeysError and ConfigError are Custody errors with stable codes and kinds', () => {
  try {
    parseKeys(new Map(), undefined);
    assert.unreachable('no key');
  } catch (err) {
    assert.instance(err, KeysError);
    assert.instance(err, CustodyError);
    assert.equal([(err as CustodyError).code, (err as CustodyError).kind], ['keys-invalid', 'invalid']);
  }
  try {
    loadConfig({ env: {}, cwd: '/nowhere', overrides: { repository: '/nowhere', signingKeys: [] } });
    assert.unreachable('no signing key');
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.instance(err, CustodyError);
    assert.equal([(err as CustodyError).code, (err as CustodyError).kind], ['config-invalid', 'usage']);
  }
});

test.run();
