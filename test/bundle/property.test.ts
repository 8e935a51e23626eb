import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildBundle, canonicalJson, createSigner, fileDigest } from '../../src/bundle/index.js';
import { keys, opa, POLICY, utf8, withTempDir } from './fixtures.js';

/**
 * An independent model of OPA's canonical form for values that came from JSON.stringify: keys by
 * code point, strings as JSON.stringify plus Go's U+2028/U+2029 escapes, numbers as JSON.stringify
 * wrote them (so the file and the model agree on every literal).
 */
function model(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(model).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort((a, b) => {
      const [x, y] = [[...a].map((c) => c.codePointAt(0) as number), [...b].map((c) => c.codePointAt(0) as number)];
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
      return x.length - y.length;
    });
    return `{${keys.map((k) => `${model(k)}:${model((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return (JSON.stringify(v) as string).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

// Characters where a naive canonicaliser goes wrong, mixed with any code point.
const unit = fc.oneof(
  fc.constantFrom('\u2028', '\u2029', '\b', '\f', '\u0000', '\u001f', '\u007f', '<', '&', '"', '\\', '/', '😀', '𝄞', '！', '\ue000', '\uffff', 'é'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const dataObject = fc.dictionary(fc.string({ unit, maxLength: 6 }), fc.jsonValue({ stringUnit: unit, maxDepth: 3 }));

test('digest of JSON.stringify output equals the digest of the modelled canonical form', () => {
  fc.assert(
    fc.property(dataObject, fc.constantFrom(undefined, 2, '\t'), (obj, indent) => {
      const text = JSON.stringify(obj, null, indent);
      const expected = createHash('sha256')
        .update(model(JSON.parse(text)), 'utf8')
        .digest('hex');
      assert.is(fileDigest('data.json', utf8(text)), expected);
      assert.is(canonicalJson(utf8(text)).toString('utf8'), model(JSON.parse(text)));
    }),
    { numRuns: 300 },
  );
});

test('canonical form is a fixed point', () => {
  fc.assert(
    fc.property(dataObject, (obj) => {
      const once = canonicalJson(utf8(JSON.stringify(obj, null, 1)));
      assert.ok(canonicalJson(once).equals(once));
    }),
    { numRuns: 200 },
  );
});

test('real OPA verifies bundles built from random data.json values', async () => {
  const signer = createSigner({ keyId: 'prop', privateKeyPem: keys.rsaPkcs8() });
  await withTempDir(async (dir) => {
    const pub = join(dir, 'pub.pem');
    await writeFile(pub, signer.publicKeyPem);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(dataObject, async (obj) => {
        // Under custody.d so random keys can never collide with the policy's custody.authz.
        const files = new Map([
          ['.manifest', utf8('{"roots":["custody"]}')],
          ['policy.rego', utf8(POLICY)],
          ['data.json', utf8(JSON.stringify({ custody: { d: obj } }))],
        ]);
        const bundle = join(dir, `b${++n}.tar.gz`);
        await writeFile(bundle, (await buildBundle({ files, revision: `r${n}`, signer, iat: n })).bytes);
        const run = await opa(['build', '-b', bundle, '--verification-key', pub, '--verification-key-id', 'prop', '-o', join(dir, `o${n}.tar.gz`)]);
        assert.is(run.code, 0, `${run.output}\ndata.json: ${JSON.stringify(obj)}`);
      }),
      { numRuns: 5 },
    );
  });
});

test.run();
