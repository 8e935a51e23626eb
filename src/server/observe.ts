/**
 * What the sidecars report: OPA's status updates (kept per agent: which revision each enforces)
 * and decision logs (appended to a JSON-lines file with a size bound; recent denials kept in
 * memory for the rollout view). The agent is the authenticated caller, never a label it sends.
 * Reports labelled as `custody verify`'s own sidecars are left out of the view (their decisions
 * are still logged): a check must not read as the deployed agent's state. The label can only hide
 * what the same token's holder reports about itself, which is self-reported anyway.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { VERIFY_LABEL } from '../contract/index.js';

/** A sidecar `custody verify` started (its label): a check, not a deployed agent. */
const isVerifyRun = (labels: unknown) => (labels as Record<string, unknown> | undefined)?.[VERIFY_LABEL] === 'true';

export interface SidecarStatus {
  readonly instance?: string;
  readonly opaVersion?: string;
  readonly activeRevision?: string;
  readonly lastSuccessfulActivation?: string;
  readonly lastRequest?: string;
  readonly error?: { code?: string; message?: string; httpCode?: number; errors?: unknown[] };
  readonly receivedAt: string;
}

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

export class Observations {
  private readonly status = new Map<string, Map<string, SidecarStatus>>();
  private readonly denials = new Map<string, DeniedDecision[]>();
  private readonly seen = new Set<string>();
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly logFile: string,
    private readonly maxBytes: number,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** OPA's status plugin body (UpdateRequestV1). One agent may run several instances (replicas). */
  recordStatus(key: string, body: unknown): void {
    const b = (body ?? {}) as { labels?: Record<string, unknown>; bundles?: Record<string, Record<string, unknown>> };
    if (isVerifyRun(b.labels)) return;
    const bundle = b.bundles?.custody ?? Object.values(b.bundles ?? {})[0] ?? {};
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const instance = str(b.labels?.id) ?? 'unknown';
    const errorCode = str(bundle.code);
    const status: SidecarStatus = {
      instance,
      ...(str(b.labels?.version) ? { opaVersion: str(b.labels?.version)! } : {}),
      ...(str(bundle.active_revision) ? { activeRevision: str(bundle.active_revision)! } : {}),
      ...(str(bundle.last_successful_activation) ? { lastSuccessfulActivation: str(bundle.last_successful_activation)! } : {}),
      ...(str(bundle.last_request) ? { lastRequest: str(bundle.last_request)! } : {}),
      ...(errorCode || bundle.message
        ? { error: { ...(errorCode ? { code: errorCode } : {}), ...(str(bundle.message) ? { message: str(bundle.message)! } : {}), ...(typeof bundle.http_code === 'number' ? { httpCode: bundle.http_code } : {}), ...(Array.isArray(bundle.errors) ? { errors: bundle.errors.slice(0, 5) } : {}) } }
        : {}),
      receivedAt: this.clock().toISOString(),
    };
    let byInstance = this.status.get(key);
    if (!byInstance) this.status.set(key, (byInstance = new Map()));
    byInstance.set(instance, status);
  }

  statusOf(key: string): SidecarStatus[] {
    return [...(this.status.get(key)?.values() ?? [])].sort((a, b) => ((a.instance ?? '') < (b.instance ?? '') ? -1 : 1));
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
      if (isVerifyRun(ev.labels)) continue;
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
