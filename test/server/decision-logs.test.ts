/**
 * Decision logs are stored exactly once per agent and decision id: an upload that could not be
 * written is answered 503 and stored when OPA retries it; the server recovers once the disk does,
 * and says so in its log and in /metrics; each agent's log has its own bound and its own
 * de-duplication, so one agent's flood or ids never cost another its records.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoPath } from '../helpers/paths.js';
import { gzipSync } from 'node:zlib';
import { startTestServer } from '../helpers/server.js';

const W = 'movie-post-production';

function uploader(base: string, token: string) {
  return async (events: unknown[]) => {
    const r = await fetch(`${base}/logs`, {
      method: 'POST',
      body: gzipSync(JSON.stringify(events)),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    return { status: r.status, body: (await r.json()) as { written?: number } };
  };
}

const event = (id: string, allowed = true, padding = '') => ({
  decision_id: id,
  path: 'custody/authz/allow',
  result: allowed,
  ...(padding ? { padding } : {}),
});

function idsIn(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { event: { decision_id: string } }).event.decision_id);
}

test('an upload that cannot be written is refused, then stored exactly once when retried; the server recovers and says so', async () => {
  const t = await startTestServer({ decisionLogFile: 'logs/decisions.jsonl' });
  try {
    const blocker = path.join(t.dir, 'logs');
    writeFileSync(blocker, 'a file where the log folder should be');
    const color = uploader(t.server.url, t.tokens[`${W}/color`]!);
    const a = [event('a1'), event('a2', false), event('a3')];
    const b = [event('b1'), event('b2', false)];
    assert.is((await color(a)).status, 503);
    assert.is((await color(b)).status, 503, 'still failing');
    assert.match(t.logs.join('\n'), /cannot write the decision log/);
    assert.match(await (await fetch(`${t.server.url}/metrics`)).text(), /custody_decision_log_write_failures_total [1-9]/);

    rmSync(blocker);
    assert.equal((await color(a)).body, { written: 3 }, "OPA's retry is stored");
    assert.equal((await color(b)).body, { written: 2 }, 'and the server writes again');
    assert.equal((await color(a)).body, { written: 0 }, 'once stored, not again');
    assert.equal((await color([event('c1'), event('c1')])).body, { written: 1 }, 'nor twice in one upload');
    assert.match(t.logs.join('\n'), /decision log .* written again/);
    const files = readFileSync(path.join(t.dir, 'logs', `decisions.${W}.color.jsonl`), 'utf8');
    assert.equal(idsIn(path.join(t.dir, 'logs', `decisions.${W}.color.jsonl`)), ['a1', 'a2', 'a3', 'b1', 'b2', 'c1'], files);
    assert.equal(
      t.server.observations.deniedOf(`${W}/color`).map((d) => d.decisionId),
      ['b2', 'a2'],
      'denials counted once, when stored',
    );
  } finally {
    await t.server.close();
  }
});

test('an append that fails part-way (the disk full) leaves the file as it was: a retry stores every line once, none cut', () => {
  // The file-size limit of a child process (ulimit -f, in KiB) stands in for a full disk: a write
  // past it fails with EFBIG (Node ignores SIGXFSZ) after the bytes that fit were written.
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-partial-'));
  const script = path.join(dir, 'append.mts');
  writeFileSync(
    script,
    `import { statSync, readFileSync } from 'node:fs';
import { DecisionLog } from ${JSON.stringify(pathToFileURL(repoPath('src', 'server', 'decision-log.ts')).href)};
const log = new DecisionLog(${JSON.stringify(path.join(dir, 'd.jsonl'))}, 1e9);
const lines = (n, tag) => Array.from({ length: n }, (_, i) => JSON.stringify({ tag, i, pad: 'x'.repeat(90) })).join('\\n') + '\\n';
await log.append('w', 'a', lines(100, 'first'));
const file = log.fileOf('w', 'a');
const before = statSync(file).size;
const failed = await log.append('w', 'a', lines(1000, 'big')).then(() => 'written', (err) => err.code);
const after = statSync(file).size;
await log.append('w', 'a', lines(10, 'retry'));
console.log(JSON.stringify({ before, failed, after, text: readFileSync(file, 'utf8') }));
`,
  );
  const out = JSON.parse(
    execFileSync('bash', ['-c', `ulimit -f 40 && exec "${process.execPath}" --import tsx "${script}"`], { cwd: repoPath(), encoding: 'utf8' }),
  ) as { before: number; failed: string; after: number; text: string };
  assert.is(out.failed, 'EFBIG', 'the big append fails part-way');
  assert.is(out.after, out.before, 'nothing of the failed append is left');
  const lines = out.text.trimEnd().split('\n');
  assert.is(lines.length, 110);
  for (const l of lines) assert.ok(['first', 'retry'].includes((JSON.parse(l) as { tag: string }).tag), l.slice(0, 40));
  rmSync(dir, { recursive: true, force: true });
});

test('each agent has its own file, bound and de-duplication', async () => {
  const t = await startTestServer({ decisionLogMaxBytes: 4096 });
  try {
    const color = uploader(t.server.url, t.tokens[`${W}/color`]!);
    const hdr = uploader(t.server.url, t.tokens[`${W}/hdr`]!);
    assert.equal((await hdr([event('h1'), event('same')])).body, { written: 2 });
    assert.equal((await color([event('same')])).body, { written: 1 }, "another agent's id is not this one's");
    for (let i = 0; i < 40; i++) await color([event(`flood-${i}-a`, true, 'x'.repeat(200)), event(`flood-${i}-b`, true, 'x'.repeat(200))]);
    const file = (agent: string) => path.join(t.dir, `decisions.${W}.${agent}.jsonl`);
    assert.equal(idsIn(file('hdr')), ['h1', 'same'], 'the flood of another agent pushed nothing out');
    assert.ok(readFileSync(file('color')).length <= 4096, 'the flooding agent stays within its bound');
    assert.ok(idsIn(`${file('color')}.1`).length > 0, 'one previous file kept');
    assert.ok(idsIn(file('color')).includes('flood-39-b'));
  } finally {
    await t.server.close();
  }
});

test('an event nesting too deeply to serialize is stored by its top-level fields; its upload is not refused forever', async () => {
  const t = await startTestServer();
  try {
    const color = uploader(t.server.url, t.tokens[`${W}/color`]!);
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const body = gzipSync(`[{"decision_id":"deep","result":false,"input":{"parsed_body":${deep}}},{"decision_id":"plain","result":true}]`);
    const r = await fetch(`${t.server.url}/logs`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${t.tokens[`${W}/color`]}`, 'content-encoding': 'gzip' },
    });
    assert.equal([r.status, await r.json()], [200, { written: 2 }]);
    const lines = readFileSync(path.join(t.dir, `decisions.${W}.color.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { custody: { truncated?: string }; event: Record<string, unknown> });
    assert.equal(
      lines.map((l) => l.event.decision_id),
      ['deep', 'plain'],
    );
    assert.equal(lines[0]!.event, { decision_id: 'deep', result: false });
    assert.match(lines[0]!.custody.truncated!, /too deeply/);
    assert.equal((await color([event('deep')])).body, { written: 0 });
  } finally {
    await t.server.close();
  }
});

test.run();
