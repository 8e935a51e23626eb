/** The CLI's edge: reading workflow files, finding the repository, and the exit codes. */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { EXIT_CODES } from '../core/errors.js';
import type { InputFile } from '../workflow/index.js';
import { OperationalError, UsageError } from './errors.js';

/** 0 for success; a failure's code follows its kind, as for every CustodyError. */
export const EXIT = { ok: 0, ...EXIT_CODES } as const;

export interface Io {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
  readonly cwd: string;
}

/** The nearest folder up from `cwd` holding `.git`; `cwd` itself outside a repository. */
export function repositoryRoot(cwd: string): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(cwd);
  }
}

/** The workflow files of a folder (`*.yaml`, `*.yml`), sorted. */
export async function workflowFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no folder ${dir}: pass the workflows folder with --workflows, or files`);
    throw err;
  }
  return names.filter((n) => /\.ya?ml$/.test(n)).sort().map((n) => path.join(dir, n));
}

export async function readInputs(files: readonly string[], cwd: string): Promise<InputFile[]> {
  return Promise.all(
    files.map(async (file) => {
      try {
        return { file: displayPath(file, cwd), text: await fs.readFile(file, 'utf8') };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EISDIR') throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : 'it is a folder'}`);
        throw new OperationalError(`cannot read ${file}: ${(err as Error).message}`);
      }
    }),
  );
}

/** Paths in messages are relative to where the user stands, as compilers print them. */
export function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, path.resolve(cwd, file));
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(cwd, file) : rel.split(path.sep).join('/');
}
