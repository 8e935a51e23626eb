#!/usr/bin/env node
// The command runs the compiled CLI; `npm ci` builds it (the package's `prepare` script).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
