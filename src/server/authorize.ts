/**
 * Who may use a sidecar route (bundle, status, decision logs): one rule, so no route can forget a
 * part of it. The caller is an agent of the served catalog (a valid token for any other
 * ServiceAccount of a trusted cluster is not enough); a ServiceAccount token comes from the
 * cluster the agent runs in, as its bundle's `.manifest` says (a manifest that names none is a
 * refusal, not a pass); a route that names an agent (the
 * bundle's URL, the labels of a status or of a decision) names the caller.
 */
import type { Identity } from './auth.js';
import { Catalog, type CatalogEntry } from './catalog.js';
import { ServerError } from './errors.js';

export type AgentIdentity = Extract<Identity, { kind: 'agent' }>;

export interface SidecarCaller {
  readonly identity: AgentIdentity;
  readonly entry: CatalogEntry;
  /** `<workflow>/<agent>`. */
  readonly key: string;
}

export function createSidecarAuthorizer(catalog: Catalog, log: (message: string) => void) {
  // Per agent, the tree whose missing binding was logged: once per change, not per request.
  const unboundLogged = new Map<string, string>();
  // An identity is the same object on every request of its token (auth.ts keeps them): its
  // catalog key is joined once, not on every request, and looked up as an already hashed string.
  const keys = new WeakMap<AgentIdentity, string>();
  const keyOf = (identity: AgentIdentity) => {
    let key = keys.get(identity);
    if (key === undefined) keys.set(identity, (key = Catalog.key(identity.workflow, identity.agent)));
    return key;
  };
  /** Throws 403 with the reason (for the log; callers are told less). */
  return function authorizeSidecar(identity: Identity, named?: { readonly workflow: string; readonly agent: string }): SidecarCaller {
    if (identity.kind !== 'agent') throw new ServerError('forbidden', 'not a sidecar credential');
    const key = keyOf(identity);
    if (named && (named.workflow !== identity.workflow || named.agent !== identity.agent))
      throw new ServerError('forbidden', `${key} asked for ${named.workflow}/${named.agent}: a sidecar may use only its own agent's bundle`);
    const entry = catalog.byKey(key);
    if (!entry) throw new ServerError('forbidden', `${key} is not an agent at the branch head`);
    if (identity.cluster !== undefined) {
      // Fails closed: without a binding no cluster's token is known to be the agent's.
      if (entry.cluster === undefined) {
        if (unboundLogged.get(key) !== entry.treeOid) {
          unboundLogged.set(key, entry.treeOid);
          log(
            `${key}: its bundle's .manifest names no cluster (metadata.cluster), so every ServiceAccount token for it is refused (403); regenerate its bundle`,
          );
        }
        throw new ServerError('forbidden', `${key} names no cluster in its .manifest`);
      }
      if (entry.cluster !== identity.cluster)
        throw new ServerError('forbidden', `${key} runs in cluster ${entry.cluster}, not in ${identity.cluster}, whose token this is`);
    }
    return { identity, entry, key };
  };
}

export type SidecarAuthorizer = ReturnType<typeof createSidecarAuthorizer>;

/** The labels OPA sends with a status or a decision (from the generated sidecar configuration) must name the caller. */
export function checkLabels(caller: SidecarCaller, labels: unknown): void {
  if (labels === undefined) return;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) throw new ServerError('badRequest', 'labels must be an object');
  const l = labels as Record<string, unknown>;
  const differs = (name: string, expected: string | undefined) => expected !== undefined && l[name] !== undefined && l[name] !== expected;
  if (differs('workflow', caller.identity.workflow) || differs('agent', caller.identity.agent) || differs('cluster', caller.entry.cluster)) {
    throw new ServerError('forbidden', `${caller.key} sent a report labelled ${String(l.workflow)}/${String(l.agent)} in ${String(l.cluster)}`);
  }
}
