/**
 * Proves that what is deployed enforces exactly the spec: for every workflow, real OPA sidecars
 * (configured as the generated ones, pulling their signed bundles from the bundle server) are
 * asked about every (source, destination, method) triple of the access matrix, with the source's
 * SPIFFE identity, through Envoy's ext_authz gRPC call when the binary has the Envoy plugin. Each
 * answer must equal the matrix's decision at that instant.
 */
import { DECISION_PATH, VERIFY_LABEL } from '../contract/index.js';
import type { VerificationKey } from '../keys/index.js';
import { accessMatrix, matrixAt, probePath, type MatrixCell } from '../policy/index.js';
import type { Workflow } from '../workflow/index.js';
import { checkServer } from './preflight.js';
import { decideAt, startLocalSidecar, type LocalSidecar } from './sidecars.js';

export interface VerifyOptions {
  readonly workflows: readonly Workflow[];
  readonly serverUrl: string;
  /** The file holding the agent's bearer token for the bundle server. */
  readonly tokenPath: (workflow: string, agent: string) => string | undefined;
  readonly keyId: string;
  readonly keys: readonly VerificationKey[];
  /** An `opa` binary, with the Envoy plugin or without. */
  readonly binary: string;
  readonly envoy: boolean;
  /** Fix the clock (ns since the epoch); otherwise decisions are taken at the real time. */
  readonly atNs?: bigint;
  /** How long sidecars may take to activate their bundles. */
  readonly activationTimeoutMs?: number;
  /** The revision each agent should enforce (from the server), if known. */
  readonly servedRevision?: (workflow: string, agent: string) => string | undefined;
}

export interface VerifyRow {
  readonly from: string;
  readonly to: string;
  readonly method: string;
  readonly path: string;
  readonly expected: boolean;
  /** undefined: no answer (no bundle active, or an error). */
  readonly actual: boolean | undefined;
  readonly ok: boolean;
}

export interface SidecarReport {
  readonly agent: string;
  readonly activeRevision?: string;
  readonly expectedRevision?: string;
  readonly problem?: string;
}

export interface WorkflowReport {
  readonly workflow: string;
  readonly via: 'ext_authz gRPC' | 'OPA query API (clock fixed)' | 'OPA data API';
  readonly at: string;
  readonly sidecars: readonly SidecarReport[];
  readonly rows: readonly VerifyRow[];
  readonly mismatches: number;
}

export async function verifyWorkflows(o: VerifyOptions): Promise<WorkflowReport[]> {
  // Every bundle fetched once as its sidecar would, before any sidecar starts: a server that
  // fails is an operational error now, not a table of mismatches after the activation timeout.
  await checkServer({
    serverUrl: o.serverUrl,
    keyId: o.keyId,
    bundles: o.workflows.flatMap((w) => w.agents.map((a) => ({ workflow: w.name, agent: a.name, tokenPath: o.tokenPath(w.name, a.name) }))),
  });
  const reports: WorkflowReport[] = [];
  for (const workflow of o.workflows) reports.push(await verifyWorkflow(o, workflow));
  return reports;
}

/** The request that tests a triple: on a path some flow opens, so that only source or method can deny it. */
export function tripleRequest(workflow: Workflow, cell: MatrixCell): { path: string } {
  if (cell.rules[0]) return { path: probePath(cell.rules[0].path) };
  const inbound = workflow.flows.filter((f) => f.to === cell.to);
  const same = inbound.find((f) => f.from === cell.from) ?? inbound[0];
  return { path: same ? probePath(same.path) : '/' };
}

async function verifyWorkflow(o: VerifyOptions, workflow: Workflow): Promise<WorkflowReport> {
  const sidecars: LocalSidecar[] = [];
  const reports: SidecarReport[] = [];
  try {
    for (const agent of workflow.agents) {
      const tokenPath = o.tokenPath(workflow.name, agent.name);
      if (!tokenPath) {
        reports.push({ agent: agent.name, problem: 'no token for this agent' });
        continue;
      }
      sidecars.push(
        await startLocalSidecar({
          binary: o.binary,
          envoy: o.envoy,
          // Marked as a check, so the server keeps these sidecars out of the rollout view.
          labels: { [VERIFY_LABEL]: 'true' },
          config: {
            bundleServerUrl: o.serverUrl,
            workflow: workflow.name,
            agent: agent.name,
            actor: agent.actor,
            keyId: o.keyId,
            keys: o.keys,
            tokenPath,
            longPollSeconds: 30,
            decisionLogDelaySeconds: 1,
            fallbackPollSeconds: [1, 2],
          },
        }),
      );
    }
    // Wait until every sidecar has activated the revision the server serves (or gave up).
    const deadline = Date.now() + (o.activationTimeoutMs ?? 20_000);
    const expected = (agent: string) => o.servedRevision?.(workflow.name, agent);
    let pending = [...sidecars];
    while (pending.length && Date.now() < deadline) {
      const states = await Promise.all(pending.map(async (s) => ({ s, r: await s.revision() })));
      pending = states.filter(({ s, r }) => r === undefined || (expected(s.agent) !== undefined && r !== expected(s.agent))).map(({ s }) => s);
      if (pending.length) await new Promise((r) => setTimeout(r, 100));
    }
    for (const s of sidecars) {
      const active = await s.revision();
      const want = expected(s.agent);
      const problem =
        active === undefined
          ? `no bundle activated${lastError(s.logs())}`
          : want !== undefined && active !== want
            ? `enforces ${active.slice(0, 12)}, the server serves ${want.slice(0, 12)}`
            : undefined;
      reports.push({
        agent: s.agent,
        ...(active ? { activeRevision: active } : {}),
        ...(want ? { expectedRevision: want } : {}),
        ...(problem ? { problem } : {}),
      });
    }

    const atNs = o.atNs ?? BigInt(Date.now()) * 1_000_000n;
    const cells = matrixAt(workflow, accessMatrix(workflow), atNs);
    const principal = new Map(workflow.agents.map((a) => [a.name, a.principal]));
    const rows: VerifyRow[] = [];
    for (const cell of cells) {
      const sidecar = sidecars.find((s) => s.agent === cell.to);
      const { path } = tripleRequest(workflow, cell);
      const expectedDecision = cell.decision === 'allow';
      let actual: boolean | undefined;
      if (sidecar) {
        const src = principal.get(cell.from)!;
        try {
          if (o.atNs !== undefined) {
            actual = await decideAt(sidecar, { attributes: { source: { principal: src }, request: { http: { method: cell.method, path } } } }, o.atNs);
          } else if (sidecar.grpc) {
            actual = await sidecar.grpc.check({ sourcePrincipal: src, destinationPrincipal: principal.get(cell.to)!, method: cell.method, path });
          } else {
            const r = await fetch(`${sidecar.restUrl}/v1/data/${DECISION_PATH}`, {
              method: 'POST',
              body: JSON.stringify({ input: { attributes: { source: { principal: src }, request: { http: { method: cell.method, path } } } } }),
            });
            const v = ((await r.json()) as { result?: unknown }).result;
            actual = typeof v === 'boolean' ? v : undefined;
          }
        } catch {
          actual = undefined;
        }
      }
      rows.push({ from: cell.from, to: cell.to, method: cell.method, path, expected: expectedDecision, actual, ok: actual === expectedDecision });
    }
    return {
      workflow: workflow.name,
      via: o.atNs !== undefined ? 'OPA query API (clock fixed)' : o.envoy ? 'ext_authz gRPC' : 'OPA data API',
      at: new Date(Number(atNs / 1_000_000n)).toISOString(),
      sidecars: reports.sort((a, b) => (a.agent < b.agent ? -1 : 1)),
      rows,
      mismatches: rows.filter((r) => !r.ok).length + reports.filter((r) => r.problem).length,
    };
  } finally {
    await Promise.all(sidecars.map((s) => s.stop()));
  }
}

function lastError(logs: string): string {
  const lines = logs.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { msg?: string; err?: string; level?: string };
      if (entry.level === 'error') return `: ${entry.msg ?? ''}${entry.err ? ` (${entry.err})` : ''}`;
    } catch {
      // not a JSON log line
    }
  }
  return '';
}

export function formatReport(reports: readonly WorkflowReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    const passed = r.rows.filter((x) => x.ok).length;
    out.push(`${r.workflow}: ${passed}/${r.rows.length} triples as the spec says, via ${r.via}, at ${r.at}`);
    for (const s of r.sidecars) if (s.problem) out.push(`  sidecar ${s.agent}: ${s.problem}`);
    const rows = [['FROM', 'TO', 'METHOD', 'PATH', 'EXPECTED', 'ACTUAL', '']];
    for (const x of r.rows)
      rows.push([
        x.from,
        x.to,
        x.method,
        x.path,
        x.expected ? 'allow' : 'deny',
        x.actual === undefined ? 'no answer' : x.actual ? 'allow' : 'deny',
        x.ok ? 'ok' : 'MISMATCH',
      ]);
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows)
      out.push(
        `  ${row
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}`,
      );
    out.push('');
  }
  const bad = reports.reduce((n, r) => n + r.mismatches, 0);
  out.push(
    bad === 0
      ? `verified: every sidecar enforces exactly its workflow (${reports.reduce((n, r) => n + r.rows.length, 0)} triples)`
      : `NOT VERIFIED: ${bad} mismatch(es)`,
  );
  return `${out.join('\n')}\n`;
}
