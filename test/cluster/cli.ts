/** Runs the CLI in-process (its real entry, `main`) with the output captured, from the repository. */
import { main } from '../../src/cli/main.js';
import { REPO } from '../helpers/paths.js';

export async function custody(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: REPO });
  return { code, stdout, stderr };
}
