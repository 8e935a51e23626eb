/** Requests to send a destination's sidecar: every triple of the matrix, on paths inside and just outside each flow. */
import { accessMatrix, decide, matrixAt, probePath } from '../../src/policy/index.js';
import type { Workflow } from '../../src/workflow/index.js';
import { envoyInput, type OpaCase } from './opa.js';

export interface Probe extends OpaCase {
  readonly label: string;
  readonly expected: boolean;
}

/** Paths near a flow's path pattern: the path itself, with a query, below it, and look-alikes. */
export function pathsNear(pattern: string): string[] {
  const base = pattern.endsWith('/*') ? pattern.slice(0, -2) : pattern;
  return [
    probePath(pattern),
    `${probePath(pattern)}?q=1&r=/x`,
    `${base}x`,
    `${base}/deeper/still`,
    `${base}/`,
    `${base}/../admin`,
    `${base}/%2e%2e/admin`,
    `${base}%2Fadmin`,
  ];
}

/**
 * For a destination agent, the matrix probes (one request per triple and instant, expected from
 * the matrix at that instant) and the path probes (expected from the reference semantics).
 */
export function probesFor(workflow: Workflow, to: string, instants: readonly bigint[]): Probe[] {
  const matrix = accessMatrix(workflow);
  const principal = new Map(workflow.agents.map((a) => [a.name, a.principal]));
  const inbound = workflow.flows.filter((f) => f.to === to);
  const anyPath = inbound[0] ? probePath(inbound[0].path) : '/';
  const probes: Probe[] = [];
  for (const nowNs of instants) {
    for (const cell of matrixAt(workflow, matrix, nowNs)) {
      if (cell.to !== to) continue;
      // A denied triple is probed on a path some flow opens to this agent, so only the source or
      // the method can be what denies it.
      const sameSourceFlow = inbound.find((f) => f.from === cell.from);
      const path = cell.rules[0] ? probePath(cell.rules[0].path) : sameSourceFlow ? probePath(sameSourceFlow.path) : anyPath;
      probes.push({
        label: `matrix ${cell.from} -> ${cell.to} ${cell.method} ${path} @${nowNs}`,
        input: envoyInput(principal.get(cell.from), cell.method, path),
        nowNs,
        expected: cell.decision === 'allow',
      });
    }
  }
  const someInstants = instants.filter((_, i) => i % 7 === 0);
  for (const nowNs of someInstants) {
    for (const flow of inbound) {
      for (const method of [...flow.methods, 'GET', 'DELETE']) {
        for (const path of pathsNear(flow.path)) {
          const request = { principal: principal.get(flow.from)!, to, method, path };
          probes.push({
            label: `path ${flow.from} -> ${to} ${method} ${path} @${nowNs}`,
            input: envoyInput(request.principal, method, path),
            nowNs,
            expected: decide(workflow, request, nowNs),
          });
        }
      }
      // Forged or missing identities: the owner's identity in a header, another trust domain (an
      // unknown one, and every other cluster's: what another organisation's administrator can mint
      // by creating a ServiceAccount of the sender's name), another namespace.
      const sender = principal.get(flow.from)!;
      const domains = [...new Set(workflow.actors.map((a) => a.cluster.trustDomain))];
      const forged = [
        undefined,
        sender.replace(/^spiffe:\/\/[^/]+\//, 'spiffe://evil.example/'),
        ...domains.map((d) => sender.replace(/^spiffe:\/\/[^/]+\//, `spiffe://${d}/`)).filter((p) => p !== sender),
        principal.get(flow.from)!.replace(`/ns/${workflow.name}/`, '/ns/other-workflow/'),
        `${principal.get(flow.from)!}/`,
      ];
      for (const p of forged) {
        probes.push({
          label: `identity ${String(p)} -> ${to} @${nowNs}`,
          input: envoyInput(p, flow.methods[0]!, probePath(flow.path)),
          nowNs,
          expected: false,
        });
      }
    }
  }
  return probes;
}
