import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BundleError, canonicalJson, fileDigest, isStructuredFile } from '../../src/bundle/index.js';
import { utf8, VECTORS } from './fixtures.js';

function vector(file: string): Buffer {
  const path = join(VECTORS, file);
  if (!existsSync(path)) throw new Error(`OPA test vector ${path} is missing (expected in test/fixtures/opa-testvectors)`);
  return readFileSync(path);
}

function bundleError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, BundleError);
    assert.is((err as BundleError).code, code);
    return;
  }
  assert.unreachable(`expected BundleError ${code}`);
}

// test/fixtures/opa-testvectors/README.md: [file, name it is hashed as, SHA-256, canonical form].
const KNOWN_ANSWERS: ReadonlyArray<readonly [string, string, string, string | null]> = [
  ['empty.json', 'data.json', '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', '{}'],
  ['m2.json', '.manifest', 'd20a1852c1958a44198fa6c902c9c9f3a5bf16c56625ed5f7a2044888637b816', '{"revision":"","roots":[""]}'],
  [
    'data2.json',
    'data.json',
    'f041fb79737511e908a59c90b832259ba3a8abc4b97eacc54c4ddb13ff7a56bf',
    '{"limits":{"max":10,"ratio":0.25},"roles":{"admin":["alice"],"dev":["bob","carol"]}}',
  ],
  [
    'manifest.json',
    '.manifest',
    '770bf106b7198259f2ed438a783e63e900fb9636e18c8b45f9be996a0da51094',
    '{"metadata":{"n":3,"owner":"team-a"},"rego_version":1,"revision":"7864d60d","roots":["roles","http/example/authz"]}',
  ],
  ['data.json', 'data.json', '850400a29dabb43bb0d28e239273f8ad844067aa53484bfa5f9f72eb7b808c19', null],
  ['policy.rego', 'policy.rego', 'c31d1f10cfee08a6a9dda85f2b16b64f3c733571c49485957870569ea9beb2db', null],
];

for (const [file, as, sha256, canonical] of KNOWN_ANSWERS) {
  test(`known answer: ${file} hashed as ${as}`, () => {
    const bytes = vector(file);
    assert.is(fileDigest(as, bytes), sha256);
    if (canonical !== null) assert.is(canonicalJson(bytes).toString('utf8'), canonical);
  });
}

test('known answer: the edge-case vector keeps literals, Go escaping and code-point key order', () => {
  const text = canonicalJson(vector('data.json')).toString('utf8');
  assert.ok(text.includes('[true,null,"x<y>&z",-0,1.50,1E+2,12345678901234567890123]'), text);
  assert.ok(text.indexOf('"！"') < text.indexOf('"😀"'), 'U+FF01 sorts before U+1F600');
  assert.ok(text.includes('"ls\\u2028ps\\u2029"'), text);
  assert.ok(text.includes('"\\u0001\\u001f\u007f"'), 'lowercase \\u00xx, DEL literal');
  assert.ok(text.includes('"quote\\" slash/ back\\\\\\\\"'), text);
});

test('the raw policy vector is the plain SHA-256 of its bytes', () => {
  assert.is(fileDigest('policy.rego', vector('policy.rego')), fileDigest('x.bin', vector('policy.rego')));
});

test('structured means exactly the basenames OPA lists', () => {
  for (const name of ['data.json', 'a/b/data.json', '/x/data.json', '.manifest', 'data.yaml', 'x/signatures.json']) {
    assert.ok(isStructuredFile(name), name);
  }
  // `.signatures.json` itself is not: its basename is not `signatures.json` (it is never hashed anyway).
  for (const name of ['data.yml', 'plan.json', 'patch.json', 'policy.rego', 'mydata.json', 'x.manifest', 'policy.wasm', '.signatures.json']) {
    assert.not.ok(isStructuredFile(name), name);
  }
  // A non-structured .json file is hashed byte-for-byte, whitespace included.
  assert.is.not(fileDigest('other.json', utf8('{ }')), fileDigest('data.json', utf8('{ }')));
  assert.is(fileDigest('data.json', utf8('{ }')), fileDigest('data.json', utf8('{}')));
});

test('canonical form: whitespace, key order, escapes', () => {
  const c = (s: string) => canonicalJson(utf8(s)).toString('utf8');
  assert.is(c(' { "b" : [ 1 , 2 ] ,\n\t"a":{ } } \r\n'), '{"a":{},"b":[1,2]}');
  // UTF-16 order would put the astral key first; Go's byte order puts U+E000..U+FFFF first.
  assert.is(c('{"\\ud83d\\ude00":1,"\\uffff":2,"\\ue000":3,"z":4}'), '{"z":4,"\ue000":3,"\uffff":2,"😀":1}');
  assert.is(c('"\\u0008\\u000c\\n\\r\\t\\u001b"'), '"\\b\\f\\n\\r\\t\\u001b"');
  assert.is(c('"\u2028\u2029<>&\\/\u007f é"'), '"\\u2028\\u2029<>&/\u007f é"');
  assert.is(c('[0,-0,0.0,1e5,1E-5,-12.5e+3]'), '[0,-0,0.0,1e5,1E-5,-12.5e+3]');
  assert.is(c('{"a":1,"a":2}'), '{"a":2}', 'last duplicate wins, as in Go');
});

test('a UTF-8 BOM is skipped, as util.Unmarshal does', () => {
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8('{"a":1}')]);
  assert.is(fileDigest('data.json', bom), fileDigest('data.json', utf8('{"a":1}')));
});

test('input OPA would rewrite or read as YAML is refused', () => {
  for (const bad of [
    '"\\ud800"', // lone high surrogate: Go would hash U+FFFD
    '"\\udc00"',
    '"\\ud83dx"',
    '{"a":1,}',
    '[01]',
    '1.',
    '.5',
    '+1',
    'NaN',
    '"tab\there"', // raw control character
    '{"a":1} x',
    'a: 1', // YAML, which OPA would accept
    '',
  ]) {
    bundleError(() => canonicalJson(utf8(bad)), 'bad-json');
  }
  bundleError(() => canonicalJson(Buffer.from([0x22, 0xff, 0x22])), 'bad-json'); // invalid UTF-8
  bundleError(() => canonicalJson(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])), 'bad-json'); // encoded surrogate
  bundleError(() => canonicalJson(utf8('['.repeat(5000) + ']'.repeat(5000))), 'bad-json');
});

test('other OPA hash algorithms are available by their OPA names', () => {
  assert.is(fileDigest('policy.rego', utf8('abc'), 'SHA-1'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.is(fileDigest('policy.rego', utf8('abc'), 'MD5'), '900150983cd24fb0d6963f7d28e17f72');
  assert.is(fileDigest('policy.rego', utf8('abc'), 'SHA-512-256'), '53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23');
});

test.run();
