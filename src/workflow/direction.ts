/**
 * Which way a flow moves data. A flow `{from, to}` lets `from` send requests to `to`; data moves
 * in the request (its body, from `from` to `to`) and in the response (from `to` back to `from`),
 * depending on the method:
 *
 * | Method                      | Request body (`from` → `to`) | Response (`to` → `from`) |
 * |-----------------------------|------------------------------|--------------------------|
 * | GET, HEAD, OPTIONS          | no                           | yes                      |
 * | POST, PUT, PATCH            | yes                          | yes                      |
 * | DELETE                      | yes (what to remove)         | no (a status)            |
 * | any other method            | yes                          | yes                      |
 *
 * (A request's path and query also go from `from` to `to`; they name what is asked and are not
 * counted as carrying the owner's data.) The analyses and the summaries read directions from
 * here, so "audit-review may GET /evidence/* from ledger" means ledger's data goes to audit-review.
 */
import type { Flow } from './model.js';

const RESPONSE_ONLY = new Set(['GET', 'HEAD', 'OPTIONS']);
const REQUEST_ONLY = new Set(['DELETE']);

export interface Direction {
  /** The request body carries data from `from` to `to`. */
  readonly request: boolean;
  /** The response carries data from `to` back to `from`. */
  readonly response: boolean;
}

export function methodDirection(method: string): Direction {
  return { request: !RESPONSE_ONLY.has(method), response: !REQUEST_ONLY.has(method) };
}

/** Which ways the flow's methods together move data. */
export function flowDirection(flow: Pick<Flow, 'methods'>): Direction {
  const ds = flow.methods.map(methodDirection);
  return { request: ds.some((d) => d.request), response: ds.some((d) => d.response) };
}

/**
 * The way a flow is for: the request body's when some method sends one (what `from` hands over),
 * else the response's (what `from` fetches). A response to a request that carried data is the
 * result of that one exchange, returned to whoever sent it: it counts for where data can reach,
 * not as a second, separate transfer (which would make every POST look like a loop).
 */
export function mainDirection(flow: Pick<Flow, 'from' | 'to' | 'methods'>): { readonly source: string; readonly target: string } {
  return flowDirection(flow).request ? { source: flow.from, target: flow.to } : { source: flow.to, target: flow.from };
}

/** Every (source, target) pair the flow moves data along: one or both ways. */
export function dataEdges(flow: Pick<Flow, 'from' | 'to' | 'methods'>): { readonly source: string; readonly target: string }[] {
  const d = flowDirection(flow);
  return [...(d.request ? [{ source: flow.from, target: flow.to }] : []), ...(d.response ? [{ source: flow.to, target: flow.from }] : [])];
}
