import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const repoPath = (...parts: string[]) => path.join(REPO, ...parts);
