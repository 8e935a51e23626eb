/**
 * Where an agent's decision is in OPA: the Rego module defines it (policy/), the sidecar's Envoy
 * plugin asks for it (`plugins.envoy_ext_authz_grpc.path`), and the local runs (demo, verify)
 * ask OPA's REST and query APIs for it.
 */

/** The decision path, as OPA's Envoy plugin and `/v1/data/<path>` take it. */
export const DECISION_PATH = 'custody/authz/allow';
/** The same document as a Rego reference, for `/v1/query`. */
export const DECISION_REF = `data.${DECISION_PATH.replaceAll('/', '.')}`;
