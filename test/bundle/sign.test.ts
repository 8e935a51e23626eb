import { constants, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BundleError, createSigner, signaturesFile, type FileDigest, type Signer } from '../../src/bundle/index.js';
import { keys } from './fixtures.js';

const rsa = keys.rsaPkcs1();
const files: FileDigest[] = [
  { name: 'policy.rego', hash: 'bb', algorithm: 'SHA-256' },
  { name: '.manifest', hash: 'aa', algorithm: 'SHA-256' },
  { name: 'data.json', hash: 'cc', algorithm: 'SHA-256' },
];

function decodeJws(file: Buffer): { header: unknown; payload: string; signature: Buffer; signingInput: string } {
  const doc = JSON.parse(file.toString('utf8')) as { signatures: string[] };
  assert.equal(Object.keys(doc), ['signatures']);
  assert.is(doc.signatures.length, 1, 'OPA accepts exactly one JWT');
  const [h, p, s] = (doc.signatures[0] as string).split('.') as [string, string, string];
  for (const part of [h, p, s]) assert.ok(/^[A-Za-z0-9_-]+$/.test(part), 'base64url without padding');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    payload: Buffer.from(p, 'base64url').toString('utf8'),
    signature: Buffer.from(s, 'base64url'),
    signingInput: `${h}.${p}`,
  };
}

async function rejects(fn: () => unknown, code: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert.instance(err, BundleError);
    assert.is((err as BundleError).code, code, (err as Error).message);
    return;
  }
  assert.unreachable(`expected BundleError ${code}`);
}

test('payload and header are exactly what OPA decodes, files sorted by name', async () => {
  const signer = createSigner({ keyId: 'owner-2025', privateKeyPem: rsa });
  const jws = decodeJws(await signaturesFile(files, signer, { iat: 1700000000 }));
  assert.equal(jws.header, { alg: 'RS256', kid: 'owner-2025' });
  assert.is(
    jws.payload,
    '{"files":[{"name":".manifest","hash":"aa","algorithm":"SHA-256"},{"name":"data.json","hash":"cc","algorithm":"SHA-256"},' +
      '{"name":"policy.rego","hash":"bb","algorithm":"SHA-256"}],"keyid":"owner-2025","iat":1700000000,"iss":"custody"}',
  );
  const withScope = decodeJws(await signaturesFile(files, signer, { iat: 1, scope: 'write' }));
  assert.ok(withScope.payload.includes('"keyid":"owner-2025","scope":"write","iat":1,'), withScope.payload);
});

test('RS256 signatures are deterministic; the public key is SPKI PEM', async () => {
  const signer = createSigner({ keyId: 'k', privateKeyPem: rsa });
  const a = await signaturesFile(files, signer, { iat: 5 });
  const b = await signaturesFile([...files].reverse(), signer, { iat: 5 });
  assert.ok(a.equals(b));
  assert.ok(signer.publicKeyPem.startsWith('-----BEGIN PUBLIC KEY-----\n'), signer.publicKeyPem);
  const jws = decodeJws(a);
  assert.ok(verify('sha256', Buffer.from(jws.signingInput), createPublicKey(signer.publicKeyPem), jws.signature));
});

test('PS256 uses PSS with digest-length salt', async () => {
  const signer = createSigner({ keyId: 'k', privateKeyPem: keys.rsaPkcs8(), algorithm: 'PS256' });
  const jws = decodeJws(await signaturesFile(files, signer, { iat: 5 }));
  assert.equal(jws.header, { alg: 'PS256', kid: 'k' });
  const key = { key: createPublicKey(signer.publicKeyPem), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  assert.ok(verify('sha256', Buffer.from(jws.signingInput), key, jws.signature));
});

for (const [curve, alg, hash, bytes] of [
  ['P-256', 'ES256', 'sha256', 64],
  ['P-384', 'ES384', 'sha384', 96],
  ['P-521', 'ES512', 'sha512', 132],
] as const) {
  test(`${alg}: alg follows the curve, signature is raw R||S (P-1363), not DER`, async () => {
    for (const pem of [keys.ecSec1(curve), keys.ecPkcs8(curve)]) {
      const signer: Signer = createSigner({ keyId: 'k', privateKeyPem: pem });
      assert.is(signer.algorithm, alg);
      const jws = decodeJws(await signaturesFile(files, signer, { iat: 5 }));
      assert.equal(jws.header, { alg, kid: 'k' });
      assert.is(jws.signature.length, bytes);
      const key = { key: createPublicKey(signer.publicKeyPem), dsaEncoding: 'ieee-p1363' as const };
      assert.ok(verify(hash, Buffer.from(jws.signingInput), key, jws.signature));
    }
  });
}

test('unusable keys and key ids are refused with bad-key', async () => {
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
  const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  const encrypted = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: 'x',
  });
  const pub = createSigner({ keyId: 'k', privateKeyPem: rsa }).publicKeyPem;
  const cases: Array<[string, string | Buffer, Parameters<typeof createSigner>[0]['algorithm']?]> = [
    ['k', 'not a pem'],
    ['k', pub],
    ['k', encrypted],
    ['k', rsa1024],
    ['k', ed],
    ['k', k1],
    ['k', rsa, 'ES256'],
    ['k', keys.ecSec1('P-256'), 'ES384'],
    ['k', keys.ecSec1('P-256'), 'RS256'],
    ['', rsa],
    ['has space', rsa],
  ];
  for (const [keyId, privateKeyPem, algorithm] of cases) {
    await rejects(() => createSigner({ keyId, privateKeyPem, ...(algorithm ? { algorithm } : {}) }), 'bad-key');
  }
});

test('iat must be a whole, non-negative number of seconds (OPA decodes it into an int64)', async () => {
  const signer = createSigner({ keyId: 'k', privateKeyPem: rsa });
  for (const iat of [1.5, -1, Number.NaN, Date.now() * 1e6]) {
    await rejects(() => signaturesFile(files, signer, { iat }), 'bad-iat');
  }
});

test.run();
