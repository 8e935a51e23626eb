/** One error shape for every command: the printed line, and the exit code from the kind alone. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BundleError } from '../../src/bundle/index.js';
import { asCustodyError, printError, UsageError } from '../../src/cli/errors.js';
import { main } from '../../src/cli/main.js';
import { CustodyError, formatError } from '../../src/core/errors.js';
import { KeysError } from '../../src/keys/index.js';
import { GitopsError } from '../../src/git/index.js';
import { ServerError, type ServerErrorCode } from '../../src/server/index.js';
import { formatDiagnostic } from '../../src/workflow/index.js';

function capture() {
  const out = { stdout: '', stderr: '' };
  const io = { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) }, cwd: tmpdir() };
  return { io, out };
}

test('a usage error: exit 2, one line, the help named as the hint', async () => {
  const { io, out } = capture();
  assert.is(await main(['matrix'], io), 2);
  assert.is(out.stderr, 'custody matrix: error[usage]: matrix takes a workflow FILE or --workflow NAME (run custody matrix --help for usage)\n');
  assert.is(out.stdout, '');
});

test('an operational error: exit 3, the same shape', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-errors-'));
  const token = path.join(dir, 'admin.token');
  writeFileSync(token, 'x\n');
  const { io, out } = capture();
  // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
  assert.is(await main(['status', '--server', 'http://127.0.0.1:1', '--token-file', token], io), 3);
  assert.match(out.stderr, /^custody status: error\[operational\]: cannot reach http:\/\/127\.0\.0\.1:1 \(.*\n$/);
});

test('an unknown command is a usage error too', async () => {
  const { io, out } = capture();
  assert.is(await main(['frobnicate'], io), 2);
  assert.is(out.stderr.split('\n')[0], 'custody: error[usage]: unknown command "frobnicate" (the commands are below)');
  assert.match(out.stderr, /\nUsage: custody COMMAND/);
});

test('errors of other modules keep their code and kind; a plain Error is not one', () => {
  const gitops = asCustodyError(new GitopsError('non-fast-forward', 'the remote has commits you do not', 'pull first'))!;
  assert.equal([gitops.code, gitops.kind, gitops.hint], ['non-fast-forward', 'operational', 'pull first']);
  const usage = asCustodyError(new GitopsError('unknown-revision', '"x" names no commit'))!;
  assert.is(usage.kind, 'usage');
  const keys = asCustodyError(new KeysError('no bundle verification key in keys/'))!;
  assert.equal([keys.code, keys.kind], ['keys-invalid', 'invalid']);
  const own = new UsageError('bad');
  assert.is(asCustodyError(own), own);
  assert.is(asCustodyError(new Error('boom')), undefined);
});

test('printError: the hint in parentheses; a usage error with its own hint keeps it', () => {
  let text = '';
  const out = { write: (s: string) => (text += s) };
  printError(out, 'push', asCustodyError(new GitopsError('push-rejected', 'refused', 'open a pull request'))!);
  printError(out, 'serve', new UsageError('--port x is not a port number', { hint: 'a number from 0 to 65535' }));
  printError(out, 'generate', new CustodyError('write-failed', 'operational', 'disk full'));
  assert.is(
    text,
    [
      'custody push: error[push-rejected]: refused (open a pull request)',
      'custody serve: error[usage]: --port x is not a port number (a number from 0 to 65535)',
      'custody generate: error[write-failed]: disk full',
      '',
    ].join('\n'),
  );
});

test('BundleError: a CustodyError of kind invalid, its code kept, the file leading the message', () => {
  const e = new BundleError('bad-path', 'names a folder', 'a/../b.json');
  assert.instance(e, CustodyError);
  assert.equal([e.code, e.kind, e.file, e.message], ['bad-path', 'invalid', 'a/../b.json', 'a/../b.json: names a folder']);
  assert.is(formatError(e), 'error[bad-path]: a/../b.json: names a folder');
});

test('ServerError: status and kind from the one table', () => {
  const cases: [ServerErrorCode, number, string][] = [
    ['unauthenticated', 401, 'usage'],
    ['forbidden', 403, 'usage'],
    ['notFound', 404, 'invalid'],
    ['badRequest', 400, 'invalid'],
    ['tooLarge', 413, 'invalid'],
    ['unavailable', 503, 'operational'],
  ];
  for (const [code, status, kind] of cases) {
    const e = new ServerError(code);
    assert.instance(e, CustodyError);
    assert.equal([e.code, e.status, e.kind, e.data.status], [code, status, kind, status], code);
  }
  assert.is(new ServerError('forbidden', 'not your bundle').message, 'not your bundle');
  assert.is(new ServerError('forbidden').message, 'these credentials do not allow this');
});

test('a diagnostic is printed in the shape of an error, its severity first', () => {
  const d = { file: 'workflows/a.yaml', line: 3, column: 7, field: 'spec.flows[0].to', message: 'agent "x" is not defined', hint: 'did you mean "y"?' };
  assert.is(
    formatDiagnostic({ ...d, severity: 'error', code: 'unknown-agent' }),
    'error[unknown-agent]: workflows/a.yaml:3:7: spec.flows[0].to: agent "x" is not defined (did you mean "y"?)',
  );
  assert.is(
    formatDiagnostic({ ...d, severity: 'warning', code: 'cycle', field: '', hint: undefined }),
    'warning[cycle]: workflows/a.yaml:3:7: agent "x" is not defined',
  );
});

test.run();
