/**
 * The decision logs on disk: one JSON-lines file per agent, beside the configured file and named
 * after it (`decisions.jsonl` gives `decisions.<workflow>.<agent>.jsonl`; names are DNS labels,
 * so the dots cannot be ambiguous), each rotated past the size bound with one previous file
 * (`.1`) kept. Per agent, so that one agent's flood never pushes another's records out. Appends
 * of one agent are serialised (an append and a rotation never interleave); a failed append leaves
 * the file as it was and fails only that upload, and the next one tries again.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export class DecisionLog {
  private readonly dir: string;
  private readonly stem: string;
  private readonly ext: string;

  constructor(
    file: string,
    private readonly maxBytes: number,
  ) {
    this.dir = path.dirname(file);
    this.ext = path.extname(file);
    this.stem = path.basename(file, this.ext);
  }

  fileOf(workflow: string, agent: string): string {
    return path.join(this.dir, `${this.stem}.${workflow}.${agent}${this.ext}`);
  }

  /** Appends whole lines to the agent's file, rotating it first if they would cross the bound. */
  async append(workflow: string, agent: string, text: string): Promise<void> {
    const file = this.fileOf(workflow, agent);
    await fs.mkdir(this.dir, { recursive: true });
    const size = await fs.stat(file).then(
      (s) => s.size,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return 0;
        throw err;
      },
    );
    if (size > 0 && size + Buffer.byteLength(text) > this.maxBytes) await fs.rename(file, `${file}.1`);
    const handle = await fs.open(file, 'a', 0o600);
    try {
      const before = (await handle.stat()).size;
      try {
        await handle.appendFile(text);
      } catch (err) {
        // A write that failed part-way (a full disk) left some of the lines, the last one cut: the
        // upload is refused and OPA sends it again, so what was written is taken back, or the retry
        // would store those decisions twice and a torn line between them.
        await handle.truncate(before).catch(() => undefined);
        throw err;
      }
    } finally {
      await handle.close();
    }
  }
}
