#!/usr/bin/env node
// The command runs the compiled CLI; `npm ci` builds it (the package's `prepare` script).
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  process.stderr.write('custody: the CLI is not built yet: run npm ci (or npm run build) in the repository first\n');
  process.exit(3);
}
process.exitCode = await cli.main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
