/** The clusters' committed token key sets (keys/jwks/<cluster>.json): public keys only, named after their cluster. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jwksClusters, parseJwksFiles, readKeys } from '../../src/keys/index.js';

const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PUBLIC = { ...pair.publicKey.export({ format: 'jwk' }), kid: 'k1' };
const PRIVATE = { ...pair.privateKey.export({ format: 'jwk' }), kid: 'k1' };

const refused = (files: [string, string][], message: string) => {
  try {
    parseJwksFiles(new Map(files));
  } catch (err) {
    assert.match((err as Error).message, message);
    return;
  }
  assert.unreachable(`accepted ${files[0]![0]}`);
};

test('a public key set is read, as stable JSON, with its key ids', () => {
  const sets = parseJwksFiles(new Map([['vfx-central.json', JSON.stringify({ keys: [PUBLIC] })]]));
  assert.equal([...sets.keys()], ['vfx-central']);
  assert.equal(sets.get('vfx-central')!.keyIds, ['k1']);
  assert.equal(JSON.parse(sets.get('vfx-central')!.json), { keys: [PUBLIC] });
});

test('a private key, a wrong name, or what is not a key set is refused with what to do', () => {
  refused(
    [['vfx-central.json', JSON.stringify({ keys: [PRIVATE] })]],
    'keys/jwks/vfx-central.json: keys[0] holds private key material ("d"); remove it from the repository at once, rotate',
  );
  refused([['vfx-central.json', JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })]], 'private key material ("k")');
  refused([['VFX.json', JSON.stringify({ keys: [PUBLIC] })]], 'named after its cluster, <cluster>.json');
  refused([['vfx-central.json', '{"keys": []}']], 'must be a JSON Web Key Set');
  refused([['vfx-central.json', 'not json']], 'is not JSON');
  refused([['vfx-central.json', JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }] })]], 'keys[0] is not a public key');
});

test('readKeys reads keys/jwks/ beside the signing keys; check lists the clusters without reading them', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-jwks-'));
  writeFileSync(path.join(dir, 'k.pem'), pair.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  mkdirSync(path.join(dir, 'jwks'));
  writeFileSync(path.join(dir, 'jwks', 'hdr-west.json'), JSON.stringify({ keys: [PUBLIC] }));
  const set = await readKeys(dir, 'keys');
  assert.equal([...set.jwks!.keys()], ['hdr-west']);
  assert.equal([...(await jwksClusters(dir))], ['hdr-west']);
  assert.equal([...(await jwksClusters(path.join(dir, 'nowhere')))], []);
});

test.run();
