/**
 * The inputs the desired trees (`desiredTrees` of generate/) are rendered from, as they are in
 * the working tree: what `commit` and `pr` commit beside the trees. Read as bytes, and a link
 * refused, because the commit carries them exactly as read.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { GitopsError } from './errors.js';
import { INPUTS, type InputSelection } from './layout.js';

/** An input folder as it is in the working tree: the selected files' bytes by name. */
export interface InputFolder extends InputSelection {
  readonly files: ReadonlyMap<string, Buffer>;
}

/** The selected files of each input folder of the working tree at `dir` (absent folder: none). */
export async function readInputFolders(dir: string, selections: readonly InputSelection[] = INPUTS): Promise<InputFolder[]> {
  return Promise.all(
    selections.map(async (s) => {
      const files = new Map<string, Buffer>();
      let names: string[] = [];
      try {
        const entries = (await fsp.readdir(path.join(dir, s.root), { withFileTypes: true })).filter((e) => s.select(e.name));
        // A link would be committed as a link (or, left out, as a deleted spec with its whole
        // policy), while generate reads the file it points to: refused, so both agree.
        const link = entries.find((e) => !e.isFile() && !e.isDirectory());
        if (link) {
          throw new GitopsError(
            'unsupported-input',
            `${s.root}/${link.name} is ${link.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}: custody commits inputs as files`,
            `replace it with the file itself (cp --remove-destination "$(readlink -f ${s.root}/${link.name})" ${s.root}/${link.name}), then run the command again`,
          );
        }
        names = entries.filter((e) => e.isFile()).map((e) => e.name);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      for (const name of names.sort()) files.set(name, await fsp.readFile(path.join(dir, s.root, name)));
      return { ...s, files };
    }),
  );
}
