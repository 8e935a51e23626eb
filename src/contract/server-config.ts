/**
 * The bundle server's configuration as the deployment hands it over: a file (YAML or JSON; the
 * ConfigMap `manifests/` renders) and environment variables (the Deployment's `env`). The
 * renderer writes this type and the server's loader (`server/config.ts`) validates into it, so
 * a setting one side writes is one the other reads. Secrets are never in the file: it names
 * files that hold them, and the webhook secret and Git token come from the environment only.
 */

export interface SigningKeyConfig {
  /** The key id sidecars are configured with (`keys.<id>`, `signing.keyid`); see `isKeyId`. */
  readonly id: string;
  /** PEM private key file. */
  readonly file: string;
}

export interface ClusterIssuer {
  /** The cluster name used in workflow specs; a token from this issuer may fetch only bundles of agents in it. */
  readonly cluster: string;
  /** The ServiceAccount token issuer (`iss`) of that cluster. */
  readonly issuer: string;
  /** The cluster's issuer keys: a JWKS file, or an URL (e.g. the cluster's /openid/v1/jwks); exactly one. */
  readonly jwksFile?: string;
  readonly jwksUrl?: string;
  /**
   * With `jwksUrl` only: a file holding a bearer token sent with every fetch of the keys, read
   * again each time (the kubelet renews a projected token in place). For a cluster's own
   * `/openid/v1/jwks`, which answers only callers allowed `system:service-account-issuer-discovery`.
   */
  readonly jwksTokenFile?: string;
  /** With `jwksUrl` only: PEM certificates trusted for it instead of the system's (the cluster CA, from `kube-root-ca.crt`). */
  readonly jwksCaFile?: string;
}

/** The file's settings, every one optional (the environment or the defaults may supply it). */
export interface ServerConfigFile {
  readonly host?: string;
  readonly port?: number;
  /** A local repository path, or an http(s) URL cloned into `cacheDir`. */
  readonly repository?: string;
  /** Default: the local repository's current branch; `main` for a URL. */
  readonly branch?: string;
  /** How often to look for a new commit (a local path is cheap to poll; a URL is fetched). */
  readonly pollSeconds?: number;
  readonly cacheDir?: string;
  /** Several keys serve rotation: each sidecar asks for the key it trusts (`KEY_ID_HEADER`). */
  readonly signingKeys?: readonly SigningKeyConfig[];
  /** The key used when a sidecar names none; default the first signing key. */
  readonly activeKeyId?: string;
  /** Audience expected in projected ServiceAccount tokens; default `TOKEN_AUDIENCE`. */
  readonly tokenAudience?: string;
  readonly clusters?: readonly ClusterIssuer[];
  /** Static tokens (JSON: `{"agents": {"<workflow>/<agent>": "<sha256 hex of token>"}, "admins": ["<sha256 hex>"]}`). */
  readonly tokensFile?: string;
  readonly decisionLogFile?: string;
  /** The decision log file is rotated (one previous file kept) past this size. */
  readonly decisionLogMaxBytes?: number;
  /** Upper bound on a long poll, whatever `wait=` a client asks for. */
  readonly longPollMaxSeconds?: number;
  /** Bodies of /status and /logs (decompressed) above this are refused. */
  readonly maxBodyBytes?: number;
  /** Raw webhook bodies above this are refused (GitHub's push payloads are far smaller; polling covers a refused one). */
  readonly webhookMaxBodyBytes?: number;
  /** ServiceAccount tokens living longer than this (exp − iat, and exp − now) are refused; default 48 h. */
  readonly maxTokenLifetimeSeconds?: number;
  /** All open connections; beyond it new ones are dropped. Default: the descriptor limit less a reserve. */
  readonly maxConnections?: number;
  /** Connections whose caller has not authenticated yet; the oldest is closed to admit a new one. */
  readonly maxUnauthenticatedConnections?: number;
  /** Connections one agent's sidecars hold; beyond it the agent's oldest is closed. */
  readonly maxConnectionsPerAgent?: number;
  /** Who may read /metrics: `local` (loopback, or an admin token; default), `admin`, or `open`. */
  readonly metricsAccess?: 'local' | 'admin' | 'open';
  /** A built bundle above this is not served (the last good one stays). */
  readonly maxBundleBytes?: number;
}

/** Every setting of the file, once: the loader refuses any other. */
export const SERVER_CONFIG_FIELDS: Readonly<Record<keyof ServerConfigFile, true>> = {
  host: true,
  port: true,
  repository: true,
  branch: true,
  pollSeconds: true,
  cacheDir: true,
  signingKeys: true,
  activeKeyId: true,
  tokenAudience: true,
  clusters: true,
  tokensFile: true,
  decisionLogFile: true,
  decisionLogMaxBytes: true,
  longPollMaxSeconds: true,
  maxBodyBytes: true,
  webhookMaxBodyBytes: true,
  maxTokenLifetimeSeconds: true,
  maxConnections: true,
  maxUnauthenticatedConnections: true,
  maxConnectionsPerAgent: true,
  metricsAccess: true,
  maxBundleBytes: true,
};

/** The environment variables the server reads; they override the file. */
export const SERVER_ENV = {
  host: 'CUSTODY_HOST',
  port: 'CUSTODY_PORT',
  repository: 'CUSTODY_REPOSITORY',
  branch: 'CUSTODY_BRANCH',
  tokenAudience: 'CUSTODY_TOKEN_AUDIENCE',
  tokensFile: 'CUSTODY_TOKENS_FILE',
  /** One signing key: its file and id (the id is also the active key). */
  signingKeyFile: 'CUSTODY_SIGNING_KEY_FILE',
  signingKeyId: 'CUSTODY_SIGNING_KEY_ID',
  /** Environment only: the GitHub push webhook secret, and a token for a private repository. */
  webhookSecret: 'CUSTODY_WEBHOOK_SECRET',
  gitToken: 'CUSTODY_GIT_TOKEN',
} as const;
