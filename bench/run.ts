/** `npm run bench`: every benchmark of this folder (`*.bench.ts`), one process each, in turn. */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts') && (only.length === 0 || only.some((o) => f.startsWith(o))))
  .sort();
// A benchmark exits 3 when it ran but kept its results unpublished (the machine was loaded): not
// a failure of the benchmark, and not a result either, so it is counted apart.
let failed = 0;
let unpublished = 0;
for (const file of benches) {
  console.log(`\n== ${file}`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(dir, file)], { stdio: 'inherit' });
  if (r.status === 3) unpublished++;
  else if (r.status !== 0) failed++;
}
const published = benches.length - failed - unpublished;
console.log(
  `\n${published} of ${benches.length} benchmarks published their results in docs/bench/` +
    (unpublished ? `; ${unpublished} ran but published nothing (the machine was not quiet: see above)` : '') +
    (failed ? `; ${failed} failed` : ''),
);
process.exitCode = failed ? 1 : unpublished ? 3 : 0;
