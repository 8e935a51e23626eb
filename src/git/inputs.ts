/**
 * The inputs the desired trees (`desiredTrees` of generate/) are rendered from, as they are in
 * the working tree: what `commit` and `pr` commit beside the trees. Read as bytes, and a link
 * refused, because the commit carries them exactly as read.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { GitopsError } from './errors.js';
import { INPUTS, type InputSelection } from './layout.js';

/** An input folder as it is in the working tree: the selected files' bytes by path relative to `root` (`roots/c.pem`). */
export interface InputFolder extends InputSelection {
  readonly files: ReadonlyMap<string, Buffer>;
}

/** The selected files of each input folder of the working tree at `dir` (absent folder: none). */
export async function readInputFolders(dir: string, selections: readonly InputSelection[] = INPUTS): Promise<InputFolder[]> {
  return Promise.all(
    selections.map(async (s) => {
      const names: string[] = [];
      for (const sub of ['', ...(s.folders ?? [])]) names.push(...(await selectedFiles(dir, s, sub)));
      const files = new Map<string, Buffer>();
      for (const rel of names.sort()) files.set(rel, await fsp.readFile(path.join(dir, s.root, ...rel.split('/'))));
      return { ...s, files };
    }),
  );
}

/** The selected regular files of one folder (`sub`: '' for the top), as paths relative to the root. */
async function selectedFiles(dir: string, s: InputSelection, sub: string): Promise<string[]> {
  const rel = (name: string) => (sub ? `${sub}/${name}` : name);
  let entries;
  try {
    // A linked folder (the input folder itself or a subfolder) would be committed as a link while
    // generate reads through it, from wherever it points.
    if ((await fsp.lstat(path.join(dir, s.root, sub))).isSymbolicLink()) {
      throw new GitopsError(
        'unsupported-input',
        `${sub ? `${s.root}/${sub}` : s.root} is a symbolic link: custody commits inputs as files in a folder`,
        `replace the link with a folder holding the files themselves, then run the command again`,
      );
    }
    entries = (await fsp.readdir(path.join(dir, s.root, sub), { withFileTypes: true })).filter((e) => s.select(rel(e.name)));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
  // A link would be committed as a link (or, left out, as a deleted spec with its whole
  // policy), while generate reads the file it points to: refused, so both agree.
  const link = entries.find((e) => !e.isFile() && !e.isDirectory());
  if (link) {
    const shown = `${s.root}/${rel(link.name)}`;
    throw new GitopsError(
      'unsupported-input',
      `${shown} is ${link.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}: custody commits inputs as files`,
      `replace it with the file itself (cp --remove-destination "$(readlink -f ${shown})" ${shown}), then run the command again`,
    );
  }
  return entries.filter((e) => e.isFile()).map((e) => rel(e.name));
}
