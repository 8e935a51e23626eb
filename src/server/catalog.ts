/**
 * The bundles the server serves: built once per change of an agent's sources (not per request),
 * signed with every configured key, kept in memory with their ETags. A build that fails keeps
 * the last good bundle served and records the error. Waiting long polls are woken when their
 * agent's bundle changes.
 */
import { buildBundle, type Signer } from '../bundle/index.js';
import type { AgentSource, GitSource, SkippedFolder, Snapshot } from './source.js';

export interface ServedBundle {
  readonly bytes: Buffer;
  /** Strong, quoted. */
  readonly etag: string;
}

export interface BuildFailure {
  readonly revision: string;
  readonly message: string;
  readonly at: string;
}

export interface CatalogEntry {
  readonly workflow: string;
  readonly agent: string;
  /** From the bundle's `.manifest` metadata: the cluster whose credentials may fetch it. */
  readonly cluster?: string;
  readonly treeOid: string;
  /** The Git commit the served bundle was built from. */
  readonly revision: string;
  readonly builtAt: string;
  /** By signing key id. */
  readonly bundles: ReadonlyMap<string, ServedBundle>;
  /** Set while the newest sources fail to build; the bundle above is still served. */
  readonly failure?: BuildFailure;
}

export interface BuildTimings {
  observe(seconds: number): void;
}

type Waiter = () => void;

/** Long polls answered per turn of the event loop when a bundle changes (about 10 ms of writes). */
export const WAKE_BATCH = 256;

export class Catalog {
  private readonly entries = new Map<string, CatalogEntry>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly failedTrees = new Map<string, BuildFailure & { treeOid: string }>();
  private head?: { commit: string; commitTime: number; at: string };
  private lastError?: { message: string; at: string };

  private skippedFolders: readonly SkippedFolder[] = [];

  private readonly timings: BuildTimings | undefined;
  private readonly clock: () => Date;
  /** A bundle above this is not served; sources above it are not even built. */
  private readonly maxBundleBytes: number;

  constructor(
    private readonly source: GitSource,
    private readonly signers: readonly Signer[],
    options: { timings?: BuildTimings; clock?: () => Date; maxBundleBytes?: number } = {},
  ) {
    this.timings = options.timings;
    this.clock = options.clock ?? (() => new Date());
    this.maxBundleBytes = options.maxBundleBytes ?? Infinity;
  }

  /** Folders under bundles/ at the head that are not served, and why. */
  skipped(): readonly SkippedFolder[] {
    return this.skippedFolders;
  }

  static key(workflow: string, agent: string): string {
    return `${workflow}/${agent}`;
  }

  get(workflow: string, agent: string): CatalogEntry | undefined {
    return this.entries.get(Catalog.key(workflow, agent));
  }

  /** By `Catalog.key(workflow, agent)`. */
  byKey(key: string): CatalogEntry | undefined {
    return this.entries.get(key);
  }

  all(): CatalogEntry[] {
    return [...this.entries.values()].sort((a, b) => (Catalog.key(a.workflow, a.agent) < Catalog.key(b.workflow, b.agent) ? -1 : 1));
  }

  status(): { head?: { commit: string; commitTime: number; at: string }; lastError?: { message: string; at: string } } {
    return { ...(this.head ? { head: this.head } : {}), ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** Whether a first snapshot was read: until then nothing can be served. */
  ready(): boolean {
    return this.head !== undefined;
  }

  /** Reads the branch head and rebuilds what changed. Returns the keys whose served bundle changed. */
  async refresh(): Promise<string[]> {
    let snapshot: Snapshot;
    try {
      snapshot = await this.source.snapshot();
    } catch (err) {
      this.lastError = { message: `cannot read the repository: ${(err as Error).message}`, at: this.clock().toISOString() };
      return [];
    }
    delete this.lastError;
    if (this.head?.commit === snapshot.commit) return [];
    const changed: string[] = [];
    const present = new Set<string>();
    for (const source of snapshot.agents) {
      const key = Catalog.key(source.workflow, source.agent);
      present.add(key);
      const current = this.entries.get(key);
      if (current?.treeOid === source.treeOid) {
        if (current.failure) this.entries.set(key, withoutFailure(current));
        continue;
      }
      const failed = this.failedTrees.get(key);
      if (failed?.treeOid === source.treeOid) continue;
      try {
        this.entries.set(key, await this.build(source, snapshot));
        this.failedTrees.delete(key);
        changed.push(key);
        // Its long polls are answered now, while the next agent builds, not after every agent has.
        this.wake(key);
      } catch (err) {
        const failure = { revision: snapshot.commit, message: (err as Error).message, at: this.clock().toISOString() };
        this.failedTrees.set(key, { ...failure, treeOid: source.treeOid });
        // Never serve a broken or unsigned bundle: the last good one stays, with the error beside it.
        if (current) this.entries.set(key, { ...current, failure });
        else this.entries.set(key, { workflow: source.workflow, agent: source.agent, treeOid: '', revision: '', builtAt: '', bundles: new Map(), failure });
      }
    }
    // An agent removed from Git is no longer served: its sidecar keeps its last bundle, and the
    // owner sees the agent disappear from the rollout view.
    for (const key of [...this.entries.keys()]) if (!present.has(key)) this.entries.delete(key);
    this.skippedFolders = snapshot.skipped;
    this.head = { commit: snapshot.commit, commitTime: snapshot.commitTime, at: this.clock().toISOString() };
    return changed;
  }

  private async build(source: AgentSource, snapshot: Snapshot): Promise<CatalogEntry> {
    const started = process.hrtime.bigint();
    const files = await this.source.files(source);
    let size = 0;
    for (const f of files.values()) size += f.length;
    if (size > this.maxBundleBytes) throw new Error(`its files hold ${size} bytes, above maxBundleBytes (${this.maxBundleBytes}): not built`);
    const bundles = new Map<string, ServedBundle>();
    for (const signer of this.signers) {
      const built = await buildBundle({ files, revision: snapshot.commit, signer, iat: snapshot.commitTime });
      if (built.bytes.length > this.maxBundleBytes)
        throw new Error(`the bundle is ${built.bytes.length} bytes, above maxBundleBytes (${this.maxBundleBytes}): not served`);
      bundles.set(signer.keyId, { bytes: built.bytes, etag: built.etag });
    }
    const cluster = clusterOf(files.get('.manifest'));
    this.timings?.observe(Number(process.hrtime.bigint() - started) / 1e9);
    return {
      workflow: source.workflow,
      agent: source.agent,
      ...(cluster ? { cluster } : {}),
      treeOid: source.treeOid,
      revision: snapshot.commit,
      builtAt: this.clock().toISOString(),
      bundles,
    };
  }

  /** Calls `wake` once when the agent's bundle changes; returns a function that cancels. */
  wait(key: string, wake: Waiter): () => void {
    let set = this.waiters.get(key);
    if (!set) this.waiters.set(key, (set = new Set()));
    set.add(wake);
    return () => {
      set!.delete(wake);
      if (set!.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
    };
  }

  waiting(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }

  /**
   * Thousands of polls may wait for one agent: they are answered WAKE_BATCH at a time, one batch
   * per turn of the event loop, so that the next agent's build (Git reads) and other requests
   * proceed between batches instead of waiting for the last poll to be written.
   */
  private wake(key: string): void {
    const set = this.waiters.get(key);
    if (!set) return;
    this.waiters.delete(key);
    const woken = [...set];
    let next = 0;
    const batch = () => {
      const end = Math.min(next + WAKE_BATCH, woken.length);
      while (next < end) woken[next++]!();
      if (next < woken.length) setImmediate(batch);
    };
    batch();
  }
}

function withoutFailure(entry: CatalogEntry): CatalogEntry {
  const { failure: _gone, ...rest } = entry;
  return rest;
}

function clusterOf(manifest: Uint8Array | undefined): string | undefined {
  if (!manifest) return undefined;
  try {
    const m = JSON.parse(Buffer.from(manifest).toString('utf8')) as { metadata?: { cluster?: unknown } };
    return typeof m.metadata?.cluster === 'string' ? m.metadata.cluster : undefined;
  } catch {
    return undefined;
  }
}
