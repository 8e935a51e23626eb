import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cut, excerpt, terminalText } from '../../src/core/text.js';

test('cut keeps at most max characters, exactly as they were (a lone surrogate too)', () => {
  assert.is(cut('short', 10), 'short');
  assert.is(cut('abcdef', 3), 'abc');
  assert.is(cut('a\u{1F600}b', 2), 'a\ud83d');
  assert.is(cut('x'.repeat(5000), 1024).length, 1024);
});

test('terminal text: controls, bidi overrides and marks, line and paragraph separators are escaped; newlines kept', () => {
  assert.is(terminalText('a\u001b[31mb\nc\u009b\u202e\u200f\u061c\u2028\u2029'), 'a\\u001b[31mb\nc\\u009b\\u202e\\u200f\\u061c\\u2028\\u2029');
});

test('an excerpt is one line, escaped and bounded', () => {
  assert.is(excerpt('one\ntwo\u0007', 60), 'one\\ntwo\\u0007');
  assert.is(excerpt('x'.repeat(70), 60), `${'x'.repeat(60)}…`);
});

test.run();
