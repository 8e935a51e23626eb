/**
 * Preloaded into a `custody` child process (`node --import`) by the crash tests: it kills the
 * process with SIGKILL, as `kill -9` would, at a chosen point of its file operations, with no hook
 * in Custody itself. Paths are matched relative to the working directory, with `/`.
 *
 *   CUSTODY_TEST_KILL_AFTER_RENAME=REGEX  right after a rename whose destination matches
 *   CUSTODY_TEST_KILL_BEFORE_RM=REGEX     right before an rm whose path matches
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

const rel = (p) =>
  path
    .relative(process.cwd(), path.resolve(String(p)))
    .split(path.sep)
    .join('/');
const kill = () => {
  process.kill(process.pid, 'SIGKILL');
  return new Promise(() => undefined);
};

const afterRename = process.env.CUSTODY_TEST_KILL_AFTER_RENAME;
if (afterRename) {
  const rename = fs.rename;
  fs.rename = async (from, to) => {
    await rename(from, to);
    if (new RegExp(afterRename).test(rel(to))) await kill();
  };
}

const beforeRm = process.env.CUSTODY_TEST_KILL_BEFORE_RM;
if (beforeRm) {
  const rm = fs.rm;
  fs.rm = async (p, options) => {
    if (new RegExp(beforeRm).test(rel(p))) await kill();
    return rm(p, options);
  };
}
