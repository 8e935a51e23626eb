/**
 * The whole loop on this machine, with nothing prepared by hand: the embedded bundle server
 * serves the clone's bundles; one real OPA process per agent of a workflow, configured as the
 * generated sidecars are, pulls and verifies its signed bundle and reports back; a few requests
 * show the policy at work; the rollout view says what every sidecar enforces.
 */
import path from 'node:path';
import { DECISION_PATH } from '../contract/index.js';
import { CustodyError } from '../core/errors.js';
import { accessMatrix, matrixAt, probePath } from '../policy/index.js';
import { rolloutView, startEmbeddedServer, type Logger, type RolloutView } from '../server/index.js';
import { parseInstant, type Workflow } from '../workflow/index.js';
import { decideAt, startLocalSidecar, type LocalSidecar } from './sidecars.js';

export interface DemoOptions {
  readonly repository: string;
  readonly workflow: Workflow;
  /** A plain `opa` binary. */
  readonly binary: string;
  readonly logger: Logger;
  /** Told as the demo goes, so that a terminal shows it live. */
  readonly progress: (step: DemoStep) => void;
  /**
   * When given, called once the demo has run, with the server and the sidecars still up: they are
   * stopped when the promise settles (`custody demo --keep` waits for Ctrl-C), so that the rollout
   * page can be looked at.
   */
  readonly keep?: (result: DemoResult, page: DemoPage) => Promise<void>;
}

/** The running server's rollout page, and where the admin token it asks for is. */
export interface DemoPage {
  readonly url: string;
  readonly adminTokenFile: string;
}

export type DemoStep =
  | { readonly kind: 'serving'; readonly url: string; readonly bundles: number; readonly commit: string | undefined }
  | { readonly kind: 'sidecars'; readonly count: number }
  | { readonly kind: 'requests' }
  | { readonly kind: 'request'; readonly from: string; readonly to: string; readonly method: string; readonly path: string; readonly allowed: boolean }
  | {
      readonly kind: 'outside-window';
      readonly from: string;
      readonly to: string;
      readonly method: string;
      readonly path: string;
      /** The instant asked about, in the workflow's time zone, e.g. "Wed, 31 Mar 2027, 02:00 Europe/Paris". */
      readonly at: string;
      /** When the flow is open, in words. */
      readonly window: string;
      readonly allowed: boolean;
    };

export interface DemoResult {
  /** The rollout view of the workflow's agents. */
  readonly view: RolloutView;
  /** Whether every sidecar enforced the served revision in time. */
  readonly inSync: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const { workflow, repository } = o;
  const { server, dev, keyId, publicKeyPem } = await startEmbeddedServer(repository, o.logger);
  const sidecars: LocalSidecar[] = [];
  try {
    o.progress({ kind: 'serving', url: server.url, bundles: server.catalog.all().length, commit: server.catalog.status().head?.commit.slice(0, 12) });
    for (const agent of workflow.agents) {
      const tokenPath = dev.agentTokenFiles.get(`${workflow.name}/${agent.name}`);
      if (!tokenPath) throw new CustodyError('no-bundle', 'usage', `no bundle for ${workflow.name}/${agent.name}`, { hint: 'run custody generate and commit' });
      sidecars.push(
        await startLocalSidecar({
          binary: o.binary,
          envoy: false,
          config: {
            bundleServerUrl: server.url,
            workflow: workflow.name,
            agent: agent.name,
            actor: agent.actor,
            keyId,
            keys: [{ id: keyId, algorithm: 'RS256', publicKeyPem }],
            tokenPath,
          },
        }),
      );
    }
    o.progress({ kind: 'sidecars', count: sidecars.length });
    const agents = () => rolloutView(server.catalog, server.observations, { repository, branch: undefined }).agents.filter((a) => a.workflow === workflow.name);
    const deadline = Date.now() + 30_000;
    while (!agents().every((a) => a.inSync) && Date.now() < deadline) await sleep(100);

    // A few requests through the sidecars, as the mesh would send them (Envoy's ext_authz input).
    const now = BigInt(Date.now()) * 1_000_000n;
    const allowed = matrixAt(workflow, accessMatrix(workflow), now).find((c) => c.decision === 'allow' && c.method !== 'GET');
    const examples = allowed
      ? [
          { from: allowed.from, to: allowed.to, method: allowed.method, path: probePath(allowed.rules[0]!.path) },
          { from: allowed.to, to: allowed.from, method: 'GET', path: '/' },
          { from: allowed.from, to: allowed.to, method: 'DELETE', path: probePath(allowed.rules[0]!.path) },
        ]
      : [];
    o.progress({ kind: 'requests' });
    let deniedCount = 0;
    for (const e of examples) {
      const sidecar = sidecars.find((s) => s.agent === e.to)!;
      const principal = workflow.agents.find((a) => a.name === e.from)!.principal;
      const input = { attributes: { source: { principal }, request: { http: { method: e.method, path: e.path } } } };
      const r = await fetch(`${sidecar.restUrl}/v1/data/${DECISION_PATH}`, { method: 'POST', body: JSON.stringify({ input }) }).then(
        (x) => x.json() as Promise<{ result?: boolean }>,
        () => ({ result: undefined }),
      );
      if (r.result !== true) deniedCount++;
      o.progress({ kind: 'request', ...e, allowed: r.result === true });
    }
    const window = outsideWindow(workflow, now);
    if (window) {
      const sidecar = sidecars.find((s) => s.agent === window.to)!;
      const principal = workflow.agents.find((a) => a.name === window.from)!.principal;
      const input = { attributes: { source: { principal }, request: { http: { method: window.method, path: window.path } } } };
      const allowed = (await decideAt(sidecar, input, window.atNs).catch(() => undefined)) === true;
      o.progress({ kind: 'outside-window', ...window, allowed });
    }
    // Decision logs are uploaded every second or so: wait until the denials have arrived.
    const denialsDeadline = Date.now() + 5_000;
    while (agents().reduce((n, a) => n + a.recentDenials.length, 0) < deniedCount && Date.now() < denialsDeadline) await sleep(100);
    const view = rolloutView(server.catalog, server.observations, { repository: path.basename(repository), branch: undefined });
    const result = { view: { ...view, agents: view.agents.filter((a) => a.workflow === workflow.name) }, inSync: agents().every((a) => a.inSync) };
    if (o.keep) await o.keep(result, { url: `${server.url}/`, adminTokenFile: dev.adminTokenFile });
    return result;
  } finally {
    await Promise.all(sidecars.map((s) => s.stop()));
    await server.close();
  }
}

const HOUR_NS = 3_600_000_000_000n;

/**
 * A flow open only at some times, and the first moment at which it is shut (a whole hour of the
 * coming week, or the end of its validity): the request the demo sends there, with the sidecar's
 * clock set to that moment, shows the window enforced by the real engine. Undefined when no flow
 * of the workflow depends on time.
 */
function outsideWindow(workflow: Workflow, nowNs: bigint) {
  const full = accessMatrix(workflow);
  const cell = full.cells.find((c) => c.decision === 'conditional' && c.rules.some((r) => r.condition !== undefined));
  if (!cell) return undefined;
  const start = (nowNs / HOUR_NS + 1n) * HOUR_NS;
  // The coming week's hours shut a daily or weekly window; a validity period shuts at its ends.
  const ends = workflow.flows.flatMap((f) => [f.until, f.notBefore].filter((t): t is string => t !== undefined));
  const boundaries = ends.flatMap((t) => {
    const parsed = parseInstant(t);
    return 'error' in parsed ? [] : [parsed.ns, parsed.ns - HOUR_NS];
  });
  const candidates = [
    ...Array.from({ length: 24 * 8 }, (_, h) => start + BigInt(h) * HOUR_NS),
    ...boundaries.filter((b) => b > nowNs).sort((a, b) => (a < b ? -1 : 1)),
  ];
  for (const atNs of candidates) {
    const resolved = matrixAt(workflow, { ...full, cells: [cell] }, atNs)[0]!;
    if (resolved.decision !== 'deny') continue;
    return {
      from: cell.from,
      to: cell.to,
      method: cell.method,
      path: probePath(cell.rules[0]!.path),
      atNs,
      at: localTime(atNs, workflow.timezone),
      window: cell.rules.map((r) => r.condition!).join(' or '),
    };
  }
  return undefined;
}

function localTime(atNs: bigint, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: '2-digit',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return `${f.format(new Date(Number(atNs / 1_000_000n)))} ${timeZone}`;
}
