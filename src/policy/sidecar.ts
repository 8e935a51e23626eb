/**
 * The OPA configuration of an agent's sidecar: where it fetches its bundle, which key must have
 * signed it, and where it reports. One function, used by the manifests of every cluster and by
 * the local runs (demo, tests), so what is tested is what is deployed.
 */
import { bundleResource, DECISION_PATH, KEY_ID_HEADER } from '../contract/index.js';
import { LOG_MASK_DECISION } from './rego.js';
import type { VerificationKey } from '../keys/index.js';

export interface SidecarConfigOptions {
  readonly bundleServerUrl: string;
  readonly workflow: string;
  readonly agent: string;
  readonly actor?: string;
  readonly cluster?: string;
  /** The key this sidecar requires (signing.keyid) and asks the server to sign with. */
  readonly keyId: string;
  readonly keys: readonly VerificationKey[];
  /** A file OPA re-reads on every request: the projected ServiceAccount token in a cluster. */
  readonly tokenPath: string;
  /** Default 60 s. */
  readonly longPollSeconds?: number;
  /** Default 10 s; decision logs are uploaded this often at the latest. */
  readonly decisionLogDelaySeconds?: number;
  /** Periodic polling delays if the server stops holding requests; default [10, 30] s. */
  readonly fallbackPollSeconds?: readonly [number, number];
  /**
   * The Envoy ext_authz gRPC plugin, on the loopback interface by default (only the pod's own
   * Envoy may ask it: the pod shares one network namespace); false for a plain `opa` binary.
   */
  readonly envoyPlugin?: false | { readonly addr: string };
}

/** Where the projected token for the bundle server is mounted in the OPA container. */
export const SIDECAR_TOKEN_PATH = '/var/run/secrets/custody/token';

/** Where the Envoy ext_authz gRPC server listens in a pod: loopback, never the pod's address. */
export const DEFAULT_GRPC_ADDR = '127.0.0.1:9191';

export function opaSidecarConfig(o: SidecarConfigOptions): Record<string, unknown> {
  if (!o.keys.some((k) => k.id === o.keyId)) throw new Error(`internal: key ${o.keyId} is not among the verification keys`);
  const longPoll = o.longPollSeconds ?? 60;
  return {
    services: {
      custody: {
        url: o.bundleServerUrl,
        credentials: { bearer: { token_path: o.tokenPath } },
        headers: { [KEY_ID_HEADER]: o.keyId },
      },
    },
    bundles: {
      custody: {
        service: 'custody',
        resource: bundleResource(o.workflow, o.agent),
        // Always set: without a key id OPA accepts unsigned bundles (it only verifies those that carry signatures).
        signing: { keyid: o.keyId },
        // Long polling; the delays apply only if the server stops holding requests.
        polling: {
          long_polling_timeout_seconds: longPoll,
          min_delay_seconds: o.fallbackPollSeconds?.[0] ?? 10,
          max_delay_seconds: o.fallbackPollSeconds?.[1] ?? 30,
        },
      },
    },
    keys: Object.fromEntries(o.keys.map((k) => [k.id, { algorithm: k.algorithm, key: k.publicKeyPem }])),
    status: { service: 'custody' },
    decision_logs: {
      service: 'custody',
      reporting: { min_delay_seconds: 1, max_delay_seconds: o.decisionLogDelaySeconds ?? 10 },
      // The bundle's own mask rule (log.rego under the custody root) erases request headers
      // (Authorization, cookies) before a decision leaves the pod for the owner's server.
      mask_decision: LOG_MASK_DECISION,
    },
    labels: {
      workflow: o.workflow,
      agent: o.agent,
      ...(o.actor ? { actor: o.actor } : {}),
      ...(o.cluster ? { cluster: o.cluster } : {}),
    },
    ...(o.envoyPlugin === false ? {} : { plugins: { envoy_ext_authz_grpc: { addr: o.envoyPlugin?.addr ?? DEFAULT_GRPC_ADDR, path: DECISION_PATH } } }),
  };
}
