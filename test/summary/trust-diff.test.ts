/**
 * The peers' trust material in pull-request summaries: a cluster's mesh root (keys/roots/) and
 * token keys (keys/jwks/) added, changed and removed, read from a real Git repository, named with
 * the fingerprints a reviewer compares with what the other organisation sent (golden files in
 * test/golden/diff/, UPDATE_GOLDEN=1 to regenerate and review).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { desiredTrees } from '../../src/generate/index.js';
import { openRepository } from '../../src/git/index.js';
import { summarizeRevisions } from '../../src/gitops/index.js';
import { parseKeyFiles } from '../../src/keys/index.js';
import { headline, render } from '../../src/summary/index.js';
import { loadWorkflows } from '../../src/workflow/index.js';
import { git, tempDir } from '../helpers/fixture-repository.js';
import { repoPath } from '../helpers/paths.js';

const GOLDEN = repoPath('test', 'golden', 'diff');
const read = (...p: string[]) => readFileSync(repoPath(...p), 'utf8');
const SPECS = { 'lab.yaml': read('test', 'summary', 'fixtures', 'lab.yaml'), 'studio.yaml': read('test', 'summary', 'fixtures', 'studio.yaml') };
const SIGNING = { 'custody-example.pem': read('keys', 'custody-example.pem') };

// `openssl x509 -in test/fixtures/roots/<name>.pem -noout -fingerprint -sha256`, as printed.
const VFX_ROOT = '58:C2:62:68:5D:E9:46:E6:F7:CA:99:04:2D:15:78:69:06:27:EE:2E:D4:A8:AA:9F:14:A6:E8:5E:84:C9:53:51';
const STUDIO_ROOT = 'C1:CC:88:ED:8B:81:55:C4:60:ED:1B:F4:59:DE:0C:FC:83:30:50:7C:AA:EF:13:0A:5D:62:E0:0A:E4:EB:31:23';
// RFC 7638 section 3.1: the example RSA key and its thumbprint, as the RFC prints it.
const RSA_THUMBPRINT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
// RFC 7517 appendix A.1's EC key; its thumbprint hashed by hand:
// printf '{"crv":"P-256","kty":"EC","x":"…","y":"…"}' | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '='
const EC_KEY = {
  kty: 'EC',
  crv: 'P-256',
  x: 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4',
  y: '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM',
  use: 'sig',
  kid: '1',
};
const EC_THUMBPRINT = 'cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s';
const RSA_SET = read('test', 'fixtures', 'jwks', 'rfc7638.json');
const rsaKey = (JSON.parse(RSA_SET) as { keys: unknown[] }).keys[0];

/** Each step's trust files (paths under keys/), applied in order on top of the previous step. */
const STEPS: [string, Record<string, string>][] = [
  ['none', {}],
  ['trust-added', { 'roots/vfx-central.pem': read('test', 'fixtures', 'roots', 'vfx-central.pem'), 'jwks/vfx-central.json': RSA_SET }],
  [
    'trust-changed',
    {
      'roots/vfx-central.pem': read('test', 'fixtures', 'roots', 'studio-central.pem'),
      'jwks/vfx-central.json': `${JSON.stringify({ keys: [rsaKey, EC_KEY] }, null, 2)}\n`,
    },
  ],
  ['trust-removed', {}],
];

/** Every file of a repository state: the specs, keys/, and what custody generate writes from them. */
function state(trust: Record<string, string>): Map<string, string> {
  const keyFiles = new Map(Object.entries({ ...SIGNING, ...trust }));
  const files = new Map<string, string>([...keyFiles].map(([p, t]) => [`keys/${p}`, t]));
  for (const [name, text] of Object.entries(SPECS)) files.set(`workflows/${name}`, text);
  const loaded = loadWorkflows(Object.entries(SPECS).map(([name, text]) => ({ file: `workflows/${name}`, text })));
  for (const tree of desiredTrees(loaded.workflows, parseKeyFiles(keyFiles))) for (const [p, text] of tree.files) files.set(`${tree.root}/${p}`, text);
  return files;
}

let history: { dir: string; commits: Record<string, string> } | undefined;
function repository() {
  if (history) return history;
  const dir = tempDir('trust-diff');
  git(dir, 'init', '-q', '-b', 'main');
  const commits: Record<string, string> = {};
  for (const [name, trust] of STEPS) {
    for (const root of ['workflows', 'bundles', 'generated', 'keys']) rmSync(path.join(dir, root), { recursive: true, force: true });
    for (const [p, text] of state(trust)) {
      mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      writeFileSync(path.join(dir, p), text);
    }
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', name);
    commits[name] = git(dir, 'rev-parse', 'HEAD');
  }
  return (history = { dir, commits });
}

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) {
    writeFileSync(file, actual);
    return;
  }
  assert.fixture(actual, readFileSync(file, 'utf8'), name);
}

/** The summary of one step against the one before it. */
async function step(name: string) {
  const h = repository();
  const i = STEPS.findIndex(([n]) => n === name);
  const { summary } = await summarizeRevisions(openRepository(h.dir), h.commits[STEPS[i - 1]![0]]!, h.commits[name]!);
  return summary;
}

for (const [name] of STEPS.slice(1)) {
  test(`diff golden: ${name}`, async () => {
    const summary = await step(name);
    // The trees are what generate writes from these keys: nothing is flagged as stale.
    assert.equal(summary.generated, { checked: true, files: [] });
    golden(`${name}.txt`, render(summary, 'text'));
    golden(`${name}.md`, render(summary, 'markdown'));
    golden(`${name}.json`, render(summary, 'json'));
  });
}

test("a root's SHA-256 fingerprint is openssl's, a token key's is its RFC 7638 thumbprint, in words", async () => {
  const added = await step('trust-added');
  assert.is(headline(added), 'Policy: mesh roots changed; cluster token keys changed');
  assert.equal(
    added.trust?.roots.map((r) => r.text),
    [
      `mesh root of vfx-central added: SHA-256 ${VFX_ROOT} (O=vfx example, CN=vfx mesh root); every peer cluster will accept the identities it signs for vfx-central's trust domain`,
    ],
  );
  assert.equal(
    added.trust?.tokenKeys.map((k) => k.text),
    [
      `token keys of vfx-central added: kid 2011-04-29 (RFC 7638 thumbprint ${RSA_THUMBPRINT}); the bundle server will accept vfx-central's sidecars with the tokens they sign`,
    ],
  );
  // A signing key is only a top-level keys/*.pem: a root is not named as one.
  assert.is(added.keys, undefined);
  const changed = await step('trust-changed');
  assert.equal(
    changed.trust?.roots.map((r) => [r.change, r.before?.fingerprints, r.after?.fingerprints]),
    [['changed', [VFX_ROOT], [STUDIO_ROOT]]],
  );
  // The same RSA key reformatted is no change; only the EC key is new.
  assert.equal(
    changed.trust?.tokenKeys.map((k) => k.text),
    [`token keys of vfx-central changed: added kid 1 (RFC 7638 thumbprint ${EC_THUMBPRINT})`],
  );
  const removed = await step('trust-removed');
  assert.equal(
    removed.trust?.roots.map((r) => r.text),
    [`mesh root of vfx-central removed (was SHA-256 ${STUDIO_ROOT} (O=studio example, CN=studio mesh root)); peers no longer accept its identities`],
  );
  assert.equal(
    removed.trust?.tokenKeys.map((k) => k.text),
    [
      `token keys of vfx-central removed: kid 2011-04-29 (RFC 7638 thumbprint ${RSA_THUMBPRINT}), kid 1 (RFC 7638 thumbprint ${EC_THUMBPRINT}); the bundle server no longer accepts tokens signed with them`,
    ],
  );
});

test.run();
