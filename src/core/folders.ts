import path from 'node:path';

/** Whether `target` lies outside the folder `root` (`..`, `../x`, another drive), not in a `..x` inside it. */
export function isOutside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
}
