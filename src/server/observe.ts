/**
 * What the sidecars report: OPA's status updates (kept per agent: which revision each enforces)
 * and decision logs (appended to a JSON-lines file with a size bound; recent denials kept in
 * memory for the rollout view). The agent is the authenticated caller, never a label it sends.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { cmp } from '../core/order.js';
import { sidecarStatus, type SidecarStatus } from './sidecar-status.js';

export type { SidecarStatus } from './sidecar-status.js';

export interface DeniedDecision {
  readonly decisionId?: string;
  readonly timestamp?: string;
  readonly source?: string;
  readonly method?: string;
  readonly path?: string;
  readonly revision?: string;
}

const RECENT_DENIALS = 20;
const SEEN_IDS = 10_000;
/** OPA reports after every bundle request (at least once per long poll): an instance silent this long is gone. */
const INSTANCE_TTL_MS = 3600 * 1000;
/** Replicas of one agent; beyond, the one heard from least recently is dropped. */
const INSTANCES_PER_AGENT = 64;

export interface ObservationsOptions {
  readonly logFile: string;
  readonly maxBytes: number;
  readonly clock?: () => Date;
}

export class Observations {
  /** Per agent, instances in the order last heard from (the first is the least recent). */
  private readonly status = new Map<string, Map<string, SidecarStatus>>();
  private readonly denials = new Map<string, DeniedDecision[]>();
  private readonly seen = new Set<string>();
  private writing: Promise<void> = Promise.resolve();
  private readonly logFile: string;
  private readonly maxBytes: number;
  private readonly clock: () => Date;

  constructor(options: ObservationsOptions) {
    this.logFile = options.logFile;
    this.maxBytes = options.maxBytes;
    this.clock = options.clock ?? (() => new Date());
  }

  /** OPA's status plugin body (UpdateRequestV1), reduced to what the view shows. One agent may run several instances (replicas). */
  recordStatus(key: string, body: unknown): void {
    const status = sidecarStatus(body, this.clock().toISOString());
    let byInstance = this.status.get(key);
    if (!byInstance) this.status.set(key, (byInstance = new Map()));
    byInstance.delete(status.instance);
    byInstance.set(status.instance, status);
    this.expire(byInstance);
    if (byInstance.size > INSTANCES_PER_AGENT) byInstance.delete(byInstance.keys().next().value!);
  }

  statusOf(key: string): SidecarStatus[] {
    const byInstance = this.status.get(key);
    if (!byInstance) return [];
    this.expire(byInstance);
    return [...byInstance.values()].sort((a, b) => cmp(a.instance, b.instance));
  }

  /** Forgets what agents no longer served reported. */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const map of [this.status, this.denials]) for (const key of [...map.keys()]) if (!keys.has(key)) map.delete(key);
  }

  private expire(byInstance: Map<string, SidecarStatus>): void {
    const oldest = this.clock().getTime() - INSTANCE_TTL_MS;
    for (const [instance, s] of byInstance) {
      if (Date.parse(s.receivedAt) >= oldest) break;
      byInstance.delete(instance);
    }
  }

  deniedOf(key: string): DeniedDecision[] {
    return [...(this.denials.get(key) ?? [])];
  }

  /** A decoded decision-log upload: a JSON array of events. Delivery is at-least-once, so ids are de-duplicated. */
  async recordDecisions(key: string, workflow: string, agent: string, events: unknown[]): Promise<number> {
    const lines: string[] = [];
    for (const e of events) {
      if (typeof e !== 'object' || e === null) continue;
      const ev = e as Record<string, unknown>;
      const id = typeof ev.decision_id === 'string' ? ev.decision_id : undefined;
      if (id) {
        if (this.seen.has(id)) continue;
        this.seen.add(id);
        if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
      }
      lines.push(JSON.stringify({ custody: { workflow, agent, receivedAt: this.clock().toISOString() }, event: ev }));
      if (ev.result === false || (typeof ev.result === 'object' && ev.result !== null && (ev.result as { allowed?: unknown }).allowed === false)) {
        const input = (ev.input ?? {}) as { attributes?: { source?: { principal?: string }; request?: { http?: { method?: string; path?: string } } } };
        const bundles = ev.bundles as Record<string, { revision?: string }> | undefined;
        const list = this.denials.get(key) ?? [];
        list.unshift({
          ...(id ? { decisionId: id } : {}),
          ...(typeof ev.timestamp === 'string' ? { timestamp: ev.timestamp } : {}),
          ...(input.attributes?.source?.principal ? { source: input.attributes.source.principal } : {}),
          ...(input.attributes?.request?.http?.method ? { method: input.attributes.request.http.method } : {}),
          ...(input.attributes?.request?.http?.path ? { path: input.attributes.request.http.path } : {}),
          ...(bundles?.custody?.revision ? { revision: bundles.custody.revision } : {}),
        });
        this.denials.set(key, list.slice(0, RECENT_DENIALS));
      }
    }
    if (lines.length) await this.append(`${lines.join('\n')}\n`);
    return lines.length;
  }

  private append(text: string): Promise<void> {
    // Serialised: appends and rotations never interleave.
    this.writing = this.writing.then(async () => {
      await fs.mkdir(path.dirname(this.logFile), { recursive: true });
      const size = await fs.stat(this.logFile).then((s) => s.size, () => 0);
      if (size > 0 && size + Buffer.byteLength(text) > this.maxBytes) await fs.rename(this.logFile, `${this.logFile}.1`);
      await fs.appendFile(this.logFile, text, { mode: 0o600 });
    });
    return this.writing;
  }
}
