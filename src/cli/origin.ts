/**
 * The one place a command reads the machine for the trees: the clone's origin remote, the
 * repository of clusters whose spec names none. Read here at the edge and passed in, so the
 * renderers stay pure; a folder that is no clone (or a linked worktree isomorphic-git cannot
 * read) has no origin, and the default applies with its warning.
 */
import { GitopsError, openRepository, originRepositoryUrl } from '../git/index.js';

export async function originForTrees(dir: string): Promise<string | undefined> {
  let repo;
  try {
    repo = openRepository(dir);
  } catch {
    return undefined;
  }
  try {
    return await originRepositoryUrl(repo);
  } catch (err) {
    // A URL with credentials is the user's to fix; anything else (an unreadable config) means no origin.
    if (err instanceof GitopsError && err.code === 'credentials-in-url') throw err;
    return undefined;
  }
}
