/** The CLI's edge: reading workflow files, finding the repository, and the exit codes. */
import { constants, existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { isOutside } from '../core/folders.js';
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

/**
 * Refuses a folder custody reads inputs from (workflows/, keys/, the generated trees) when, inside the repository, it
 * is a symbolic link or lies under one. The CI recipe runs `check` and `generate --check` on
 * pull-request checkouts: a committed link (`ln -s /some/secret/dir workflows`) would have them
 * read files anywhere on the runner and echo their values in errors. Git commits such a link as a
 * link, so the bundle server never sees through it anyway. A folder outside the repository, named
 * on the command line by its own path, is the user's choice and is followed as named; the same
 * folder named through a link inside the repository is not. Nothing of the target is printed,
 * not even where the link points.
 */
export async function assertRepositoryFolder(dir: string, cwd: string, root = repositoryRoot(cwd)): Promise<void> {
  const target = path.resolve(cwd, dir);
  if (isOutside(root, target)) return;
  const rel = path.relative(root, target);
  let at = root;
  for (const part of rel === '' ? [] : rel.split(path.sep)) {
    at = path.join(at, part);
    let stat;
    try {
      stat = await fs.lstat(at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Missing: reading it says so, with the path as given.
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw new OperationalError(`cannot read ${displayPath(at, cwd)}: ${(err as Error).message}`);
    }
    if (stat.isSymbolicLink()) throw linkedFolder(displayPath(at, cwd), 'is a symbolic link');
  }
  // The rule itself, after the walk that names the link: the folder as the system resolves it is
  // in the repository (with no link on the way it is; a kind of link lstat does not report is not).
  const [real, realRoot] = await Promise.all([fs.realpath(target).catch(() => undefined), fs.realpath(root)]);
  if (real !== undefined && isOutside(realRoot, real)) throw linkedFolder(displayPath(dir, cwd), 'resolves to a folder outside the repository');
}

function linkedFolder(shown: string, what: string): CustodyError {
  return new CustodyError(
    'unsupported-input',
    'usage',
    `${shown} ${what}: a folder custody reads specs, keys or generated trees from must be a real folder in the repository (Git commits a link as a link, and nothing it points at is read)`,
    {
      hint: `replace the link with the folder itself; a folder outside the repository can be named by its own path (custody check DIR, generate --workflows DIR --keys DIR)`,
    },
  );
}

/** The workflow files of a folder (`*.yaml`, `*.yml`), sorted; the folder checked as {@link assertRepositoryFolder} says. */
export async function workflowFiles(dir: string, cwd: string): Promise<string[]> {
  await assertRepositoryFolder(dir, cwd);
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
      const files = await workflowFiles(file, cwd);
      if (files.length === 0) throw new UsageError(`no workflow files (*.yaml) in ${displayPath(file, cwd)}`);
      out.push(...files);
    }
  }
  return [...new Set(out)];
}

/**
 * Reads the spec files. A symbolic link is refused, never followed (so is a linked folder of the
 * repository on the way, see {@link assertRepositoryFolder}): the CI recipe runs this on
 * pull-request checkouts, where a link could point at any file of the runner (`/proc/self/environ`)
 * and its content would be echoed in error messages. A file over the size limit is refused
 * before it is read.
 */
export async function readInputs(files: readonly string[], cwd: string): Promise<InputFile[]> {
  // The folders first (a file named under a linked folder is read through the link), each once.
  const root = repositoryRoot(cwd);
  for (const dir of new Set(files.map((f) => path.dirname(path.resolve(cwd, f))))) await assertRepositoryFolder(dir, cwd, root);
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
