/** The CLI's edge: reading workflow files, finding the repository, and the exit codes. */
import { constants, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { CustodyError, EXIT_CODES } from '../core/errors.js';
import { MAX_SPEC_BYTES, type InputFile } from '../workflow/index.js';
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
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}

/** The spec files named on a command line: a folder stands for its `*.yaml` and `*.yml` files. */
export async function specFiles(paths: readonly string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const file = path.resolve(cwd, p);
    let isDir = false;
    try {
      isDir = (await fs.stat(file)).isDirectory();
    } catch {
      // Missing: reading it says so, with the path as given.
    }
    if (!isDir) out.push(file);
    else {
      const files = await workflowFiles(file);
      if (files.length === 0) throw new UsageError(`no workflow files (*.yaml) in ${displayPath(file, cwd)}`);
      out.push(...files);
    }
  }
  return [...new Set(out)];
}

/**
 * Reads the spec files. A symbolic link is refused, never followed: the CI recipe runs this on
 * pull-request checkouts, where a link could point at any file of the runner (`/proc/self/environ`)
 * and its content would be echoed in error messages. A file over the size limit is refused
 * before it is read.
 */
export async function readInputs(files: readonly string[], cwd: string): Promise<InputFile[]> {
  return Promise.all(files.map((file) => readInput(file, cwd)));
}

async function readInput(file: string, cwd: string): Promise<InputFile> {
  const shown = displayPath(file, cwd);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`cannot read ${shown}: no such file`);
    if (code === 'ELOOP') {
      throw new CustodyError('unsupported-input', 'usage', `${shown} is a symbolic link: a workflow spec must be a regular file in the repository`, {
        hint: 'replace the link by the file itself',
      });
    }
    throw new OperationalError(`cannot read ${shown}: ${(err as Error).message}`);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new UsageError(`cannot read ${shown}: it is a folder`);
    if (!stat.isFile())
      throw new CustodyError('unsupported-input', 'usage', `${shown} is not a regular file`, { hint: 'a workflow spec is a YAML file in the repository' });
    if (stat.size > MAX_SPEC_BYTES) {
      throw new CustodyError(
        'input-too-large',
        'invalid',
        `${shown} is ${stat.size.toLocaleString('en')} bytes, more than the ${MAX_SPEC_BYTES.toLocaleString('en')} a workflow spec may have`,
        {
          hint: 'split the workflow into several workflows, each in a file of its own',
        },
      );
    }
    return { file: shown, text: await handle.readFile('utf8') };
  } catch (err) {
    if (err instanceof CustodyError) throw err;
    throw new OperationalError(`cannot read ${shown}: ${(err as Error).message}`);
  } finally {
    await handle.close();
  }
}

/** Paths in messages are relative to where the user stands, as compilers print them. */
export function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, path.resolve(cwd, file));
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(cwd, file) : rel.split(path.sep).join('/');
}
