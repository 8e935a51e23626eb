/**
 * Mermaid's own parser and renderer (the `mermaid` package's browser build, as GitHub runs it) in
 * headless chromium, with the strict security level: what GitHub would draw of a diagram.
 */
import * as assert from 'uvu/assert';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dumpDom } from './chromium.js';
import { repoPath } from './paths.js';

function mermaidBundle(): string {
  try {
    return createRequire(repoPath('package.json')).resolve('mermaid/dist/mermaid.min.js');
  } catch {
    throw new Error('the mermaid package (a development dependency) is missing: npm ci');
  }
}

export interface Rendered {
  readonly name: string;
  readonly svg?: string;
  readonly error?: string;
}

export async function renderInBrowser(diagrams: readonly [string, string][]): Promise<Rendered[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-mermaid-'));
  copyFileSync(mermaidBundle(), path.join(dir, 'mermaid.min.js'));
  // The diagrams go in as JSON with `<` escaped, so no diagram text can end the script.
  const data = JSON.stringify(diagrams).replace(/</g, '\\u003c');
  writeFileSync(
    path.join(dir, 'index.html'),
    `<!doctype html><meta charset="utf-8"><body><pre id="result"></pre>
<script src="mermaid.min.js"></script>
<script>
const DIAGRAMS = ${data};
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
(async () => {
  const out = [];
  for (const [i, [name, text]] of DIAGRAMS.entries()) {
    try {
      await mermaid.parse(text);
      out.push({ name, svg: (await mermaid.render('d' + i, text)).svg });
    } catch (e) {
      out.push({ name, error: String((e && e.message) || e) });
    }
  }
  document.getElementById('result').textContent = JSON.stringify(out);
})();
</script>`,
  );
  const dom = await dumpDom(pathToFileURL(path.join(dir, 'index.html')).href, [], 30_000);
  const result = /<pre id="result">([\s\S]*?)<\/pre>/.exec(dom)?.[1];
  assert.ok(result, 'the page produced no result');
  return JSON.parse(decodeHtml(result)) as Rendered[];
}

export const decodeHtml = (s: string) =>
  s.replace(/&#([0-9]+);|&#x([0-9a-f]+);|&(lt|gt|amp|quot|apos|nbsp);/gi, (_, d?: string, h?: string, n?: string) =>
    d
      ? String.fromCodePoint(Number(d))
      : h
        ? String.fromCodePoint(parseInt(h, 16))
        : ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00a0' } as Record<string, string>)[n!]!,
  );
