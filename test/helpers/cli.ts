/** The `custody` command as a user runs it: the package's bin, in a child process. */
import { execFile } from 'node:child_process';
import { REPO, repoPath } from './paths.js';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function custody(args: string[], cwd = REPO): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [repoPath('bin', 'custody.js'), ...args], { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}
