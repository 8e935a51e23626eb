// The bundles this module builds, checked by the real OPA (v1.22.2, opa-notes.md 10.7).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  buildBundle,
  createSigner,
  fileDigest,
  readTarball,
  signaturesFile,
  writeTarball,
  type Signer,
  type SigningAlgorithm,
} from '../../src/bundle/index.js';
import { opaBinary } from '../helpers/opa.js';
import { keys, opa, opaServerBundleOutcome, rawTarball, serveOnce, sources, utf8, VECTORS, type Run } from './fixtures.js';

const IAT = 1700000000;
let dir = '';
let seq = 0;

const signers = {
  RS256: createSigner({ keyId: 'owner-rs256', privateKeyPem: keys.rsaPkcs1() }),
  PS256: createSigner({ keyId: 'owner-ps256', privateKeyPem: keys.rsaPkcs8(), algorithm: 'PS256' }),
  ES256: createSigner({ keyId: 'owner-es256', privateKeyPem: keys.ecSec1('P-256') }),
  ES384: createSigner({ keyId: 'owner-es384', privateKeyPem: keys.ecPkcs8('P-384') }),
} satisfies Partial<Record<SigningAlgorithm, Signer>>;
const rs256 = signers.RS256;

// Set up lazily inside the tests, not in test.before: uvu 0.5 swallows errors thrown by hooks
// and would report a suite without its binary as passing.
let setup: Promise<void> | undefined;
const ready = (): Promise<void> =>
  (setup ??= (async () => {
    dir = await mkdtemp(join(tmpdir(), 'custody-bundle-opa-'));
    for (const signer of Object.values(signers)) await writeFile(pubPath(signer), signer.publicKeyPem);
  })());

test.after(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

test('the pinned opa binary is present', () => {
  opaBinary();
});

const pubPath = (signer: Signer): string => join(dir, `${signer.keyId}.pub.pem`);

async function save(bytes: Uint8Array): Promise<string> {
  await ready();
  const path = join(dir, `bundle-${++seq}.tar.gz`);
  await writeFile(path, bytes);
  return path;
}

/** `opa build` verifies a `-b` input bundle when given a verification key (cmd/build.go). */
function verifyWithBuild(bundle: string, signer: Signer, extra: readonly string[] = []): Promise<Run> {
  return opa([
    'build',
    '-b',
    bundle,
    '--verification-key',
    pubPath(signer),
    '--verification-key-id',
    signer.keyId,
    '--signing-alg',
    signer.algorithm,
    '-o',
    join(dir, `out-${++seq}.tar.gz`),
    ...extra,
  ]);
}

/**
 * `opa eval` has no verification flags in 1.22.2 (and skips verification, see below); the REPL of
 * `opa run` does verify, and evaluates a query read from stdin.
 */
async function evalVerified(bundle: string, signer: Signer, query: string): Promise<string> {
  const run = await opa(
    ['run', '-b', bundle, '--verification-key', pubPath(signer), '--verification-key-id', signer.keyId, '--signing-alg', signer.algorithm],
    `${query}\n`,
  );
  assert.is(run.code, 0, run.output);
  const start = run.output.search(/^[[{]/m);
  assert.ok(start >= 0, run.output);
  return run.output.slice(start);
}

function rejected(run: Run, message: RegExp): void {
  assert.is(run.code, 1, `OPA accepted a bundle it must reject:\n${run.output}`);
  assert.match(run.output, message);
}

async function signedFiles(signer: Signer = rs256): Promise<Map<string, Buffer>> {
  return readTarball((await buildBundle({ files: sources(), revision: 'c0ffee', signer, iat: IAT })).bytes);
}

for (const [alg, signer] of Object.entries(signers)) {
  test(`${alg}: OPA verifies the bundle and sees the data exactly as written`, async () => {
    const bundle = await save((await buildBundle({ files: sources(), revision: 'c0ffee', signer, iat: IAT })).bytes);
    const run = await verifyWithBuild(bundle, signer);
    assert.is(run.code, 0, run.output);
    if (alg === 'PS256' || alg === 'ES384') return; // evaluation is algorithm-independent; keep the suite fast

    const out = await evalVerified(bundle, signer, 'data.custody');
    // OPA keeps number literals (json.Number): the REPL prints them as written.
    for (const literal of ['"ratio": 1.50', '"big": 12345678901234567890123', '"exp": 1E+2', '"neg": -0']) {
      assert.ok(out.includes(literal), `${literal} in\n${out}`);
    }
    const data = JSON.parse(out) as Record<string, unknown>;
    assert.equal(data['ünïcödé'], 'raw\u2028sep\u2029 escaped\u2028sep\u2029');
    assert.equal(data['！'], 'fullwidth');
    assert.equal((data['😀'] as Record<string, unknown>)['pair'], '😀');
    assert.equal(data['html'], '<a href="x">&</a>');
    assert.equal(data['slash'], 'a/b');
    assert.equal(data['ctl'], '\b\f\u0001\u007f\t');
    assert.equal(data['authz'], { allow: false });
    assert.is(await evalVerified(bundle, signer, 'data.system.bundles'), await evalVerified(bundle, signer, 'data.system.bundles'));
  });
}

test('the OPA digest vectors (test/fixtures/opa-testvectors), signed with their known digests, verify in real OPA', async () => {
  const vector = (name: string): Buffer => readFileSync(join(VECTORS, name));
  const files = new Map<string, Uint8Array>([
    ['.manifest', utf8('{"roots":[""]}')],
    ['data.json', vector('data.json')],
    ['policy.rego', vector('policy.rego')],
    ['extra/data.json', vector('data2.json')],
    ['empty/data.json', vector('empty.json')],
  ]);
  const built = await buildBundle({ files, revision: 'c0ffee', signer: rs256, iat: IAT });
  const hashes = Object.fromEntries(built.digests.map((d) => [d.name, d.hash]));
  assert.is(hashes['data.json'], '850400a29dabb43bb0d28e239273f8ad844067aa53484bfa5f9f72eb7b808c19');
  assert.is(hashes['policy.rego'], 'c31d1f10cfee08a6a9dda85f2b16b64f3c733571c49485957870569ea9beb2db');
  assert.is(hashes['extra/data.json'], 'f041fb79737511e908a59c90b832259ba3a8abc4b97eacc54c4ddb13ff7a56bf');
  assert.is(hashes['empty/data.json'], '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  const run = await verifyWithBuild(await save(built.bytes), rs256);
  assert.is(run.code, 0, run.output);

  // The manifest vector carries its own revision, so it goes in verbatim (keys unsorted, with
  // metadata: the shape of opa#4233), signed by hand rather than through buildBundle.
  const manual = new Map<string, Uint8Array>([
    ['.manifest', vector('manifest.json')],
    ['policy.rego', vector('policy.rego')],
    ['roles/data.json', utf8('{"admin":["alice"]}')],
  ]);
  const digests = [...manual].map(([name, bytes]) => ({ name, hash: fileDigest(name, bytes), algorithm: 'SHA-256' as const }));
  assert.is(digests[0]?.hash, '770bf106b7198259f2ed438a783e63e900fb9636e18c8b45f9be996a0da51094');
  manual.set('.signatures.json', await signaturesFile(digests, rs256, { iat: IAT }));
  const manualRun = await verifyWithBuild(await save(await writeTarball(manual)), rs256);
  assert.is(manualRun.code, 0, manualRun.output);
});

test('rejected: a file changed after signing (digest mismatch)', async () => {
  const tamper: Record<string, (original: string) => string> = {
    'data.json': () => '{"custody":{"callers":["spiffe://td/ns/w/sa/mallory"]}}',
    'policy.rego': (original) => `${original}\n# one more line\n`,
    '.manifest': (original) => original.replace('c0ffee', 'c0ffef'),
  };
  for (const [name, change] of Object.entries(tamper)) {
    const files = await signedFiles();
    const original = files.get(name) as Buffer;
    files.set(name, utf8(change(original.toString('utf8'))));
    const run = await verifyWithBuild(await save(await writeTarball(files)), rs256);
    rejected(run, new RegExp(`${name.replace('.', '\\.')}: digest mismatch \\(want: ${fileDigest(name, original)}, got: [0-9a-f]{64}\\)`));
  }
});

test('not rejected: layout-only changes to a structured file (its digest is over parsed JSON)', async () => {
  const files = await signedFiles();
  files.set('data.json', utf8(`\n  ${(files.get('data.json') as Buffer).toString('utf8')}  \n`));
  // Not JSON any more, so OPA's util.Unmarshal falls back to YAML, which yields the same tree.
  files.set('.manifest', utf8(`${(files.get('.manifest') as Buffer).toString('utf8')}\n# a YAML comment\n`));
  const run = await verifyWithBuild(await save(await writeTarball(files)), rs256);
  assert.is(run.code, 0, run.output);
});

test('rejected: a signature by another key, or with another algorithm than configured', async () => {
  const impostor = createSigner({ keyId: rs256.keyId, privateKeyPem: keys.rsaPkcs8() });
  const forged = await save((await buildBundle({ files: sources(), revision: 'c0ffee', signer: impostor, iat: IAT })).bytes);
  rejected(await verifyWithBuild(forged, rs256), /failed to verify JWT signature: crypto\/rsa: verification error/);

  // OPA verifies with the algorithm from its key config, whatever the JWT header says.
  const genuine = await save((await buildBundle({ files: sources(), revision: 'c0ffee', signer: rs256, iat: IAT })).bytes);
  const asPs256 = await opa([
    'build',
    '-b',
    genuine,
    '--verification-key',
    pubPath(rs256),
    '--verification-key-id',
    rs256.keyId,
    '--signing-alg',
    'PS256',
    '-o',
    join(dir, 'out-ps.tar.gz'),
  ]);
  rejected(asPs256, /failed to verify JWT signature: crypto\/rsa: verification error/);
});

test('rejected: no .signatures.json when a key id is required', async () => {
  const unsigned = await save((await buildBundle({ files: sources(), revision: 'c0ffee' })).bytes);
  rejected(await verifyWithBuild(unsigned, rs256), /bundle missing \.signatures\.json file/);
  const files = await signedFiles();
  files.delete('.signatures.json');
  rejected(await verifyWithBuild(await save(await writeTarball(files)), rs256), /bundle missing \.signatures\.json file/);
});

test('rejected: an extra unsigned file, and a signed file that is missing or not a regular file', async () => {
  const extra = await signedFiles();
  extra.set('extra.txt', utf8('not signed'));
  rejected(await verifyWithBuild(await save(await writeTarball(extra)), rs256), /file extra\.txt not included in bundle signature/);

  const appleDouble = await signedFiles();
  appleDouble.set('._policy.rego', utf8('\u0000\u0005\u0016\u0007'));
  rejected(await verifyWithBuild(await save(await writeTarball(appleDouble)), rs256), /file \._policy\.rego not included in bundle signature/);

  const missing = await signedFiles();
  missing.delete('policy.rego');
  rejected(
    await verifyWithBuild(await save(await writeTarball(missing)), rs256),
    /file\(s\) \[policy\.rego\] specified in bundle signatures but not found in the target bundle/,
  );

  // A hard link where data.json should be: OPA reads regular files only (v1/bundle/file.go).
  const linked = [...(await signedFiles())]
    .filter(([name]) => name !== 'data.json')
    .map(([name, bytes]) => [{ name: `/${name}`, mode: 0o600, mtime: new Date(0) }, bytes] as const);
  const withLink = await rawTarball([...linked, [{ name: '/data.json', type: 'link', linkname: '/policy.rego', mtime: new Date(0) }]]);
  rejected(await verifyWithBuild(await save(withLink), rs256), /file\(s\) \[data\.json\] specified in bundle signatures but not found in the target bundle/);
});

test('rejected: a JWT scope that OPA is not configured with, and the reverse', async () => {
  const scoped = await save((await buildBundle({ files: sources(), revision: 'c0ffee', signer: rs256, iat: IAT, scope: 'write' })).bytes);
  rejected(await verifyWithBuild(scoped, rs256), /scope mismatch/);
  assert.is((await verifyWithBuild(scoped, rs256, ['--scope', 'write'])).code, 0);
  const unscoped = await save((await buildBundle({ files: sources(), revision: 'c0ffee', signer: rs256, iat: IAT })).bytes);
  rejected(await verifyWithBuild(unscoped, rs256, ['--scope', 'write']), /scope mismatch/);
});

test('rejected: iat as a string (OPA decodes it into an int64, whatever the docs table says)', async () => {
  const files = await signedFiles();
  const payload = {
    files: ['.manifest', 'data.json', 'policy.rego'].map((name) => ({ name, hash: fileDigest(name, files.get(name) as Buffer), algorithm: 'SHA-256' })),
    keyid: rs256.keyId,
    iat: String(IAT),
  };
  files.set('.signatures.json', utf8(JSON.stringify({ signatures: [await rs256.sign(utf8(JSON.stringify(payload)))] })));
  rejected(
    await verifyWithBuild(await save(await writeTarball(files)), rs256),
    /cannot unmarshal string into Go struct field DecodedSignature\.iat of type int64/,
  );
});

test('rejected at load although its digest matches: data.json with a BOM (why buildBundle refuses it)', async () => {
  const files = await signedFiles();
  const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), files.get('data.json') as Buffer]);
  assert.is(fileDigest('data.json', withBom), fileDigest('data.json', files.get('data.json') as Buffer));
  files.set('data.json', withBom);
  rejected(await verifyWithBuild(await save(await writeTarball(files)), rs256), /bundle load failed on \/data\.json: invalid character 'ï'/);
});

test('opa eval does not verify signatures: never use it as proof that a bundle verifies', async () => {
  const files = await signedFiles();
  files.set('data.json', utf8('{"custody":{"callers":["mallory"]}}'));
  const run = await opa(['eval', '--format', 'raw', '-b', await save(await writeTarball(files)), 'data.custody.callers']);
  assert.is(run.code, 0, run.output);
  assert.is(run.output.trim(), '["mallory"]');
});

test('opa run --server: signing.keyid accepts the signed bundle and refuses the unsigned one', async () => {
  const signed = (await buildBundle({ files: sources(), revision: 'c0ffee', signer: rs256, iat: IAT })).bytes;
  const unsigned = (await buildBundle({ files: sources(), revision: 'c0ffee' })).bytes;
  const es256 = (await buildBundle({ files: sources(), revision: 'c0ffee', signer: signers.ES256, iat: IAT })).bytes;
  const outcome = async (bytes: Buffer, signing: object | undefined, signer: Signer): Promise<string> => {
    await ready();
    const server = await serveOnce(bytes);
    try {
      const config = {
        services: { custody: { url: server.url } },
        bundles: { authz: { service: 'custody', resource: 'bundles/authz', ...(signing ? { signing } : {}) } },
        keys: { [signer.keyId]: { algorithm: signer.algorithm, key: signer.publicKeyPem } },
      };
      const path = join(dir, `config-${++seq}.json`);
      await writeFile(path, JSON.stringify(config));
      return await opaServerBundleOutcome(path);
    } finally {
      await server.close();
    }
  };
  assert.match(await outcome(signed, { keyid: rs256.keyId }, rs256), /^Bundle loaded and activated successfully/);
  assert.is(await outcome(unsigned, { keyid: rs256.keyId }, rs256), 'Bundle load failed: bundle missing .signatures.json file');
  // Without signing.keyid OPA picks the key by the JWT header `kid`.
  assert.match(await outcome(es256, undefined, signers.ES256), /^Bundle loaded and activated successfully/);
});

test.run();
