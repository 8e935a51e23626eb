/**
 * What Git holds under `bundles/` at the head of a branch, read with isomorphic-git without a
 * checkout: a local repository is read in place, a remote one is fetched into a cache folder.
 * Each agent's folder is identified by its Git tree id, so a new commit tells at once which
 * bundles changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import git from 'isomorphic-git';
import { BUNDLES_DIR } from '../contract/index.js';
import { isDnsLabel } from '../core/names.js';
import { gitHttp as http } from '../git/index.js';

export interface AgentSource {
  readonly workflow: string;
  readonly agent: string;
  /** The Git tree id of `bundles/<workflow>/<agent>`: equal ids, equal contents. */
  readonly treeOid: string;
}

export interface SkippedFolder {
  /** From the repository root, e.g. `bundles/<workflow>/<agent>`. */
  readonly path: string;
  readonly reason: string;
}

export interface Snapshot {
  readonly commit: string;
  /** Committer time, seconds: the signature's `iat`, so a revision always signs the same payload. */
  readonly commitTime: number;
  readonly agents: readonly AgentSource[];
  /** What looks like a workflow or agent folder but is not served, so the owner is told why. */
  readonly skipped: readonly SkippedFolder[];
}

export interface GitSourceOptions {
  readonly repository: string;
  readonly branch?: string;
  readonly cacheDir: string;
  readonly bundlesPath?: string;
  /** For private remotes; read from the environment, never logged. */
  readonly token?: string;
}

export class GitSource {
  private readonly dir: string;
  private readonly remote: boolean;
  private readonly bundlesPath: string;
  private branch?: string;
  private readonly cache = {};
  private cloned = false;

  constructor(private readonly options: GitSourceOptions) {
    this.remote = /^https?:\/\//.test(options.repository);
    this.dir = this.remote ? path.join(options.cacheDir, 'repository') : options.repository;
    this.bundlesPath = options.bundlesPath ?? BUNDLES_DIR;
    if (options.branch !== undefined) this.branch = options.branch;
  }

  describe(): { repository: string; branch: string | undefined } {
    // The URL as configured: credentials never go into it (they come from onAuth).
    return { repository: this.options.repository, branch: this.branch };
  }

  /** Fetches (remote) and reads the branch head. */
  async snapshot(): Promise<Snapshot> {
    if (this.remote) await this.fetch();
    // A local clone with no branch configured serves the branch checked out, or on a detached HEAD
    // (CI's checkout of a pull request's merge commit) the commit checked out: never another
    // branch's bundles than the specs beside them.
    if (this.branch === undefined) this.branch = (await git.currentBranch({ fs, dir: this.dir, fullname: false })) ?? 'HEAD';
    const ref = this.remote ? `refs/remotes/origin/${this.branch}` : this.branch;
    const commit = await git.resolveRef({ fs, dir: this.dir, ref });
    const { commit: c } = await git.readCommit({ fs, dir: this.dir, oid: commit, cache: this.cache });
    const agents: AgentSource[] = [];
    let workflows: Awaited<ReturnType<typeof git.readTree>>['tree'] = [];
    try {
      workflows = (await git.readTree({ fs, dir: this.dir, oid: commit, filepath: this.bundlesPath, cache: this.cache })).tree;
    } catch (err) {
      if ((err as { code?: string }).code !== 'NotFoundError') throw err;
    }
    const skipped: SkippedFolder[] = [];
    for (const w of workflows) {
      const wPath = `${this.bundlesPath}/${w.path}`;
      const wSkip = skipReason(w, 'workflow');
      if (wSkip) skipped.push({ path: wPath, reason: wSkip });
      if (w.type !== 'tree' || wSkip) continue;
      const { tree } = await git.readTree({ fs, dir: this.dir, oid: w.oid, cache: this.cache });
      for (const a of tree) {
        const aSkip = skipReason(a, 'agent');
        if (aSkip) skipped.push({ path: `${wPath}/${a.path}`, reason: aSkip });
        else if (a.type === 'tree') agents.push({ workflow: w.path, agent: a.path, treeOid: a.oid });
      }
    }
    return { commit, commitTime: c.committer.timestamp, agents, skipped };
  }

  /** Every file of an agent's bundle folder, by relative path. */
  async files(source: AgentSource): Promise<Map<string, Uint8Array>> {
    const out = new Map<string, Uint8Array>();
    const walk = async (oid: string, prefix: string): Promise<void> => {
      const { tree } = await git.readTree({ fs, dir: this.dir, oid, cache: this.cache });
      for (const e of tree) {
        const rel = prefix ? `${prefix}/${e.path}` : e.path;
        if (e.type === 'tree') await walk(e.oid, rel);
        else if (e.type === 'blob') out.set(rel, (await git.readBlob({ fs, dir: this.dir, oid: e.oid, cache: this.cache })).blob);
      }
    };
    await walk(source.treeOid, '');
    return out;
  }

  /** The regular files directly under `folder` at a commit read by `snapshot`, by name (none when it has no such folder). */
  async folderFiles(commit: string, folder: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    let tree: Awaited<ReturnType<typeof git.readTree>>['tree'] = [];
    try {
      tree = (await git.readTree({ fs, dir: this.dir, oid: commit, filepath: folder, cache: this.cache })).tree;
    } catch (err) {
      if ((err as { code?: string }).code !== 'NotFoundError') throw err;
    }
    for (const e of tree) {
      if (e.type === 'blob' && e.mode !== '120000')
        out.set(e.path, Buffer.from((await git.readBlob({ fs, dir: this.dir, oid: e.oid, cache: this.cache })).blob).toString('utf8'));
    }
    return out;
  }

  private async fetch(): Promise<void> {
    const onAuth = this.options.token ? () => ({ username: 'x-access-token', password: this.options.token! }) : undefined;
    const common = { fs, http, dir: this.dir, url: this.options.repository, singleBranch: true, depth: 1, ...(onAuth ? { onAuth } : {}) };
    if (!this.cloned && !fs.existsSync(path.join(this.dir, '.git'))) {
      await fs.promises.mkdir(this.dir, { recursive: true });
      await git.clone({ ...common, noCheckout: true, ...(this.branch ? { ref: this.branch } : {}) });
      if (this.branch === undefined) this.branch = (await git.currentBranch({ fs, dir: this.dir })) ?? 'main';
    } else {
      await git.fetch({ ...common, ...(this.branch ? { ref: this.branch } : {}) });
    }
    this.cloned = true;
  }
}

/**
 * Why an entry under bundles/ (or under a workflow folder) that could be meant as a folder is not
 * served. Plain files are not folders and need no word; a link is never followed, since it would
 * let one agent's folder serve another's sources.
 */
function skipReason(entry: { type: string; mode: string; path: string }, kind: 'workflow' | 'agent'): string | undefined {
  if (entry.mode === '120000') return `is a symbolic link; an ${kind} folder must be a folder (links are not followed): not served`;
  if (entry.type === 'commit') return `is a submodule; an ${kind} folder must be a folder: not served`;
  if (entry.type === 'tree' && !isDnsLabel(entry.path)) return `is not a DNS-1123 name (lower-case letters, digits, "-"): not served`;
  return undefined;
}
