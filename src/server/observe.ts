/**
 * What the sidecars report: OPA's status updates (kept per agent: which revision each enforces)
 * and decision logs (appended to each agent's JSON-lines file with a size bound, once per decision
 * id; recent denials kept in memory for the rollout view). The agent is the authenticated caller,
 * never a label it sends. Reports labelled as `custody verify`'s own sidecars are left out of the
 * view (their decisions are still logged): a check must not read as the deployed agent's state.
 */
import { cmp } from '../core/order.js';
import { cut } from '../core/text.js';
import { DecisionLog } from './decision-log.js';
import { sidecarStatus, type SidecarStatus } from './sidecar-status.js';
import { VERIFY_LABEL } from '../contract/index.js';
import { ServerError } from './errors.js';

/** A sidecar `custody verify` started (its label): a check, not a deployed agent. */
const isVerifyRun = (labels: unknown) => (labels as Record<string, unknown> | undefined)?.[VERIFY_LABEL] === 'true';

export type { SidecarStatus } from './sidecar-status.js';

export interface DeniedDecision {
  readonly decisionId?: string;
  readonly timestamp?: string;
  readonly source?: string;
  readonly method?: string;
  readonly path?: string;
  readonly revision?: string;
}

/**
 * OPA's decision ids are UUIDs. Each agent's recent ids are kept to store every decision once,
 * so an id is bounded like any other kept string.
 */
const DECISION_ID_MAX = 128;
export function checkDecisionId(id: unknown): void {
  if (id === undefined) return;
  if (typeof id !== 'string') throw new ServerError('badRequest', 'decision_id must be a string');
  if (id.length > DECISION_ID_MAX) throw new ServerError('badRequest', `decision_id is longer than ${DECISION_ID_MAX} characters`);
}
const RECENT_DENIALS = 20;
const SEEN_IDS = 10_000;
/** OPA reports after every bundle request (at least once per long poll): an instance silent this long is gone. */
const INSTANCE_TTL_MS = 3600 * 1000;
/** Replicas of one agent; beyond, the one heard from least recently is dropped. */
const INSTANCES_PER_AGENT = 64;

export interface ObservationsOptions {
  /** The decision log's name: each agent's file is named after it (decision-log.ts). */
  readonly logFile: string;
  /** Per agent. */
  readonly maxBytes: number;
  readonly clock?: () => Date;
  /** Called when an agent's decision log cannot be written (with the error), and when it is written again (without). */
  readonly onWrite?: (key: string, file: string, error?: Error) => void;
}

export class Observations {
  /** Per agent, instances in the order last heard from (the first is the least recent). */
  private readonly status = new Map<string, Map<string, SidecarStatus>>();
  private readonly denials = new Map<string, DeniedDecision[]>();
  /** Per agent: decision ids stored (the most recent SEEN_IDS). */
  private readonly seen = new Map<string, Set<string>>();
  /** Per agent: the uploads being written, one after the other. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly failing = new Set<string>();
  /** Per agent: when an instance was last dropped to keep INSTANCES_PER_AGENT (ms since the epoch). */
  private readonly crowded = new Map<string, number>();
  private readonly log: DecisionLog;
  private readonly clock: () => Date;
  private readonly onWrite: ObservationsOptions['onWrite'];

  constructor(options: ObservationsOptions) {
    this.log = new DecisionLog(options.logFile, options.maxBytes);
    this.clock = options.clock ?? (() => new Date());
    this.onWrite = options.onWrite;
  }

  /** OPA's status plugin body (UpdateRequestV1), reduced to what the view shows. One agent may run several instances (replicas). */
  recordStatus(key: string, body: unknown): void {
    if (isVerifyRun((body as { labels?: unknown } | null | undefined)?.labels)) return;
    const status = sidecarStatus(body, this.clock().toISOString());
    let byInstance = this.status.get(key);
    if (!byInstance) this.status.set(key, (byInstance = new Map()));
    byInstance.delete(status.instance);
    byInstance.set(status.instance, status);
    this.expire(byInstance);
    if (byInstance.size > INSTANCES_PER_AGENT) {
      byInstance.delete(byInstance.keys().next().value!);
      this.crowded.set(key, this.clock().getTime());
    }
  }

  /**
   * When more instances of the agent reported within the hour than are kept: the view then says
   * that it shows only the most recent ones (one timestamp per agent, so the count of the others,
   * which are not kept, is never needed).
   */
  instancesDropped(key: string): { readonly kept: number; readonly lastDroppedAt: string } | undefined {
    const at = this.crowded.get(key);
    if (at === undefined) return undefined;
    if (at < this.clock().getTime() - INSTANCE_TTL_MS) {
      this.crowded.delete(key);
      return undefined;
    }
    return { kept: INSTANCES_PER_AGENT, lastDroppedAt: new Date(at).toISOString() };
  }

  statusOf(key: string): SidecarStatus[] {
    const byInstance = this.status.get(key);
    if (!byInstance) return [];
    this.expire(byInstance);
    return [...byInstance.values()].sort((a, b) => cmp(a.instance, b.instance));
  }

  /** Forgets what agents no longer served reported. */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const map of [this.status, this.denials, this.seen, this.crowded]) for (const key of [...map.keys()]) if (!keys.has(key)) map.delete(key);
    for (const key of [...this.failing]) if (!keys.has(key)) this.failing.delete(key);
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

  /**
   * A decoded decision-log upload: a JSON array of events. OPA delivers at least once and retries
   * an upload that failed, so each (agent, decision id) is stored once: ids are checked and marked
   * inside the agent's queue, and marked only after the write succeeded. Throws (the upload is
   * refused, and OPA retries it) when the log cannot be written.
   */
  recordDecisions(key: string, workflow: string, agent: string, events: unknown[]): Promise<number> {
    const run = (this.queues.get(key) ?? Promise.resolve()).then(() => this.writeDecisions(key, workflow, agent, events));
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }

  private async writeDecisions(key: string, workflow: string, agent: string, events: unknown[]): Promise<number> {
    const seen = this.seen.get(key) ?? new Set<string>();
    const ids = new Set<string>();
    const lines: string[] = [];
    const denied: DeniedDecision[] = [];
    const receivedAt = this.clock().toISOString();
    for (const e of events) {
      if (typeof e !== 'object' || e === null) continue;
      const ev = e as Record<string, unknown>;
      const id = typeof ev.decision_id === 'string' ? ev.decision_id : undefined;
      if (id !== undefined) {
        if (seen.has(id) || ids.has(id)) continue;
        ids.add(id);
      }
      lines.push(logLine({ workflow, agent, receivedAt }, ev));
      if (isVerifyRun(ev.labels)) continue;
      if (ev.result === false || (typeof ev.result === 'object' && ev.result !== null && (ev.result as { allowed?: unknown }).allowed === false))
        denied.push(denial(ev, id));
    }
    if (lines.length) {
      try {
        await this.log.append(workflow, agent, `${lines.join('\n')}\n`);
      } catch (err) {
        this.failing.add(key);
        this.onWrite?.(key, this.log.fileOf(workflow, agent), err as Error);
        throw err;
      }
      if (this.failing.delete(key)) this.onWrite?.(key, this.log.fileOf(workflow, agent));
    }
    for (const id of ids) {
      seen.add(id);
      if (seen.size > SEEN_IDS) seen.delete(seen.values().next().value!);
    }
    if (ids.size) this.seen.set(key, seen);
    if (denied.length) this.denials.set(key, [...denied.reverse(), ...(this.denials.get(key) ?? [])].slice(0, RECENT_DENIALS));
    return lines.length;
  }

  /** Agents whose last decision-log write failed. */
  unwritable(): number {
    return this.failing.size;
  }
}

/**
 * One JSON line. An event too deep to serialize (its input can hold a request body an outsider
 * sent through Envoy) is kept by its top-level scalar fields, so its upload is not refused forever.
 */
function logLine(custody: { workflow: string; agent: string; receivedAt: string }, ev: Record<string, unknown>): string {
  try {
    return JSON.stringify({ custody, event: ev });
  } catch {
    const scalars = Object.fromEntries(Object.entries(ev).filter(([, v]) => v === null || typeof v !== 'object'));
    return JSON.stringify({
      custody: { ...custody, truncated: 'the event nests too deeply to be stored whole: its top-level scalar fields are kept' },
      event: scalars,
    });
  }
}

function denial(ev: Record<string, unknown>, id: string | undefined): DeniedDecision {
  const input = (ev.input ?? {}) as { attributes?: { source?: { principal?: unknown }; request?: { http?: { method?: unknown; path?: unknown } } } };
  const bundles = ev.bundles as Record<string, { revision?: unknown }> | undefined;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? cut(v, 1024) : undefined);
  const source = text(input.attributes?.source?.principal);
  const method = text(input.attributes?.request?.http?.method);
  const p = text(input.attributes?.request?.http?.path);
  const revision = text(bundles?.custody?.revision);
  return {
    ...(id !== undefined ? { decisionId: cut(id, 128) } : {}),
    ...(text(ev.timestamp) ? { timestamp: text(ev.timestamp)! } : {}),
    ...(source ? { source } : {}),
    ...(method ? { method } : {}),
    ...(p ? { path: p } : {}),
    ...(revision ? { revision } : {}),
  };
}
