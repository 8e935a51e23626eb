/**
 * The documentation speaks to its readers: no words from how the project was commissioned (a
 * "spec document the project was given", a "seed paper", an issue's measurements), which a user
 * cannot look up. The format's reference is in the repository; the paper is named as a paper.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoPath } from '../helpers/paths.js';

const PHRASES = [/spec document/i, /project was given/i, /seed paper/i, /the issue's/i, /the issue allows/i];

test('README.md and docs/*.md use no words from how the project was commissioned', () => {
  const files = [
    'README.md',
    ...readdirSync(repoPath('docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  assert.ok(files.length >= 6, files.join(', '));
  const found: string[] = [];
  for (const file of files) {
    readFileSync(repoPath(file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const p of PHRASES) if (p.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.equal(found, []);
});

test.run();
