/**
 * The bundle server's configuration: a file (YAML or JSON) and environment variables, validated
 * and defaulted in one place. Secrets are never in the file itself: it names files (signing
 * keys, token hashes, JWKS) or environment variables that hold them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { isKeyId, KEY_ID_RULE, SERVER_CONFIG_FIELDS, SERVER_ENV, TOKEN_AUDIENCE, type ServerConfigFile } from '../contract/index.js';
import { hasCredentials, redactUrl } from '../core/url.js';
import { isUrlLike } from '../git/index.js';
import { descriptorLimit, RESERVED_DESCRIPTORS } from './connections.js';
import { ConfigError } from './errors.js';
import { METRICS_ACCESS, type MetricsAccess } from './metrics-access.js';

/**
 * The file's settings checked and resolved: defaults applied, paths absolute, the secret from the
 * environment added. Built on the file's type, so a setting renamed there cannot be left behind here.
 */
export interface ServerConfig extends Required<Omit<ServerConfigFile, 'branch' | 'tokensFile'>>, Pick<ServerConfigFile, 'branch' | 'tokensFile'> {
  /** GitHub push webhook secret, from the environment only. */
  readonly webhookSecret?: string;
}

const DEFAULTS = {
  host: '127.0.0.1',
  port: 8800,
  pollSeconds: 1,
  tokenAudience: TOKEN_AUDIENCE,
  decisionLogMaxBytes: 64 * 1024 * 1024,
  longPollMaxSeconds: 120,
  maxBodyBytes: 8 * 1024 * 1024,
  webhookMaxBodyBytes: 1024 * 1024,
  // What Kubernetes allows projected ServiceAccount tokens by default (the generated sidecars ask for 1 h).
  maxTokenLifetimeSeconds: 48 * 3600,
  maxBundleBytes: 64 * 1024 * 1024,
} as const;

/** Reads the file (if any) and the environment, and returns a checked configuration. */
export function loadConfig(options: {
  file?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  overrides?: Partial<Record<keyof ServerConfig, unknown>>;
}): ServerConfig {
  const { env, cwd } = options;
  let raw: Record<string, unknown> = {};
  let base = cwd;
  if (options.file) {
    const file = path.resolve(cwd, options.file);
    if (!existsSync(file)) throw new ConfigError(`config file ${file} does not exist`);
    const parsed = parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`${file}: expected a mapping`);
    raw = parsed as Record<string, unknown>;
    base = path.dirname(file);
  }
  const fromEnv: { -readonly [K in keyof ServerConfigFile]?: unknown } = {};
  const variable = (name: keyof typeof SERVER_ENV) => env[SERVER_ENV[name]];
  if (variable('host')) fromEnv.host = variable('host');
  if (variable('port')) fromEnv.port = Number(variable('port'));
  if (variable('repository')) fromEnv.repository = variable('repository');
  if (variable('branch')) fromEnv.branch = variable('branch');
  if (variable('tokenAudience')) fromEnv.tokenAudience = variable('tokenAudience');
  if (variable('tokensFile')) fromEnv.tokensFile = variable('tokensFile');
  if (variable('signingKeyFile')) fromEnv.signingKeys = [{ id: variable('signingKeyId') ?? 'custody', file: variable('signingKeyFile') }];
  if (variable('signingKeyId')) fromEnv.activeKeyId = variable('signingKeyId');
  const merged: Record<string, unknown> = { ...raw, ...fromEnv, ...(options.overrides ?? {}) };
  if (variable('webhookSecret')) merged.webhookSecret = variable('webhookSecret');
  else if ('webhookSecret' in raw) throw new ConfigError(`webhookSecret may not be written in the config file: set ${SERVER_ENV.webhookSecret}`);
  return validate(merged, base);
}

function validate(c: Record<string, unknown>, base: string): ServerConfig {
  const known = new Set([...Object.keys(SERVER_CONFIG_FIELDS), 'webhookSecret']);
  for (const k of Object.keys(c)) if (!known.has(k)) throw new ConfigError(`unknown setting "${k}"`);
  const str = (k: string, v: unknown = c[k]): string => {
    if (typeof v !== 'string' || v === '') throw new ConfigError(`${k} must be a non-empty string`);
    return v;
  };
  const num = (k: string, min: number, max: number, dflt: number): number => {
    const v = c[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ConfigError(`${k} must be a number from ${min} to ${max}`);
    return v;
  };
  const file = (k: string, v: unknown) => path.resolve(base, str(k, v));
  const oneOf = <T extends string>(k: string, allowed: readonly T[], dflt: T): T => {
    const v = c[k] ?? dflt;
    if (!allowed.includes(v as T)) throw new ConfigError(`${k} must be one of ${allowed.join(', ')}`);
    return v as T;
  };
  // Spaces around a URL or a path are a slip of copy and paste, never meant.
  const given = str('repository', typeof c.repository === 'string' ? c.repository.trim() : c.repository);
  const isUrl = isUrlLike(given);
  const repository = isUrl ? remoteUrl(given) : given;
  const signingKeys = (Array.isArray(c.signingKeys) ? c.signingKeys : []).map((k: unknown, i) => {
    const o = k as Record<string, unknown>;
    const id = str(`signingKeys[${i}].id`, o?.id);
    if (!isKeyId(id)) throw new ConfigError(`signingKeys[${i}].id "${id}" must be ${KEY_ID_RULE}`);
    return { id, file: file(`signingKeys[${i}].file`, o?.file) };
  });
  if (signingKeys.length === 0) throw new ConfigError('signingKeys: at least one signing key is needed: the server never serves unsigned bundles');
  const activeKeyId = c.activeKeyId === undefined ? signingKeys[0]!.id : str('activeKeyId');
  if (!signingKeys.some((k) => k.id === activeKeyId)) throw new ConfigError(`activeKeyId "${activeKeyId}" is not one of the signing keys`);
  const clusters = (Array.isArray(c.clusters) ? c.clusters : []).map((x: unknown, i) => {
    const o = x as Record<string, unknown>;
    let entry: ServerConfig['clusters'][number] = {
      cluster: str(`clusters[${i}].cluster`, o?.cluster),
      issuer: str(`clusters[${i}].issuer`, o?.issuer),
      ...(o?.jwksFile !== undefined ? { jwksFile: file(`clusters[${i}].jwksFile`, o.jwksFile) } : {}),
      ...(o?.jwksUrl !== undefined ? { jwksUrl: str(`clusters[${i}].jwksUrl`, o.jwksUrl) } : {}),
    };
    if ((entry.jwksFile === undefined) === (entry.jwksUrl === undefined)) throw new ConfigError(`clusters[${i}]: give exactly one of jwksFile and jwksUrl`);
    for (const k of ['jwksTokenFile', 'jwksCaFile'] as const) {
      if (o[k] === undefined) continue;
      if (entry.jwksUrl === undefined) throw new ConfigError(`clusters[${i}].${k} applies to a jwksUrl only: remove it, or fetch the keys from jwksUrl`);
      // A credential never goes out in clear text.
      if (k === 'jwksTokenFile' && !entry.jwksUrl.startsWith('https://'))
        throw new ConfigError(`clusters[${i}].jwksTokenFile: the token is sent only over https; make jwksUrl an https:// URL`);
      entry = { ...entry, [k]: file(`clusters[${i}].${k}`, o[k]) };
    }
    return entry;
  });
  refuseSharedIssuers(clusters);
  const maxConnections = num('maxConnections', 16, 10_000_000, Math.max(64, (descriptorLimit() ?? 1024) - RESERVED_DESCRIPTORS));
  const maxUnauthenticatedConnections = num('maxUnauthenticatedConnections', 1, 10_000_000, Math.min(4096, Math.floor(maxConnections / 4)));
  if (maxUnauthenticatedConnections >= maxConnections)
    throw new ConfigError('maxUnauthenticatedConnections must be below maxConnections: the rest is kept for authenticated sidecars');
  // 64 replicas of an agent (the instances the rollout view keeps) with a long poll, a status
  // report and a decision-log upload in flight each take about 192; one agent's token may not hold
  // the connections every other organisation's sidecars need.
  const maxConnectionsPerAgent = num('maxConnectionsPerAgent', 1, 10_000_000, Math.min(256, maxConnections - maxUnauthenticatedConnections));
  return {
    host: c.host === undefined ? DEFAULTS.host : str('host'),
    port: num('port', 0, 65535, DEFAULTS.port),
    repository: isUrl ? repository : path.resolve(base, repository),
    ...(c.branch !== undefined ? { branch: str('branch') } : {}),
    pollSeconds: num('pollSeconds', 0.1, 3600, isUrl ? 30 : DEFAULTS.pollSeconds),
    cacheDir: c.cacheDir === undefined ? path.resolve(base, '.custody', 'cache') : file('cacheDir', c.cacheDir),
    signingKeys,
    activeKeyId,
    tokenAudience: c.tokenAudience === undefined ? DEFAULTS.tokenAudience : str('tokenAudience'),
    maxTokenLifetimeSeconds: num('maxTokenLifetimeSeconds', 60, 2 ** 32, DEFAULTS.maxTokenLifetimeSeconds),
    clusters,
    ...(c.tokensFile !== undefined ? { tokensFile: file('tokensFile', c.tokensFile) } : {}),
    ...(c.webhookSecret !== undefined ? { webhookSecret: str('webhookSecret') } : {}),
    webhookMaxBodyBytes: num('webhookMaxBodyBytes', 1024, 2 ** 30, DEFAULTS.webhookMaxBodyBytes),
    decisionLogFile: c.decisionLogFile === undefined ? path.resolve(base, '.custody', 'decisions.jsonl') : file('decisionLogFile', c.decisionLogFile),
    decisionLogMaxBytes: num('decisionLogMaxBytes', 1024, 2 ** 40, DEFAULTS.decisionLogMaxBytes),
    longPollMaxSeconds: num('longPollMaxSeconds', 1, 3600, DEFAULTS.longPollMaxSeconds),
    maxBodyBytes: num('maxBodyBytes', 1024, 2 ** 30, DEFAULTS.maxBodyBytes),
    maxConnections,
    maxUnauthenticatedConnections,
    maxConnectionsPerAgent,
    metricsAccess: oneOf('metricsAccess', METRICS_ACCESS, 'local'),
    maxBundleBytes: num('maxBundleBytes', 1024, 2 ** 32, DEFAULTS.maxBundleBytes),
  };
}

/**
 * A repository given as a URL, as a URL parser reads it (scheme in lower case, however it was
 * typed: the source fetches only what starts `http://` or `https://`). Refused with credentials
 * in any spelling, as `custody push` refuses them: a token belongs in CUSTODY_GIT_TOKEN, where it
 * is never printed, logged or stored in the clone's config. The URL quoted has them removed.
 */
function remoteUrl(url: string): string {
  if (hasCredentials(url))
    throw new ConfigError(
      `the repository URL ${redactUrl(url)} carries credentials (removed here): give the URL without them and the token in CUSTODY_GIT_TOKEN`,
    );
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw new ConfigError(
      `the repository URL ${redactUrl(url)} is not an http(s) URL: the server fetches over http(s) only; give the https:// URL (a token in CUSTODY_GIT_TOKEN) or a local path`,
    );
  }
  return parsed.href;
}

/**
 * The server tells clusters' ServiceAccount tokens apart by their issuer (`iss`): a second entry
 * with the same issuer would silently replace the first, its tokens taken for the other cluster's.
 * Two entries for one cluster would let a second issuer's tokens (another cluster's, copied and
 * left unrenamed) fetch the first cluster's bundles.
 */
function refuseSharedIssuers(clusters: ServerConfig['clusters']): void {
  clusters.forEach((entry, i) => {
    const named = clusters.findIndex((e) => e.cluster === entry.cluster);
    if (named < i)
      throw new ConfigError(
        `clusters[${named}] and clusters[${i}] both name cluster ${entry.cluster}: give each cluster one entry, with the issuer of its ServiceAccount tokens`,
      );
    const same = clusters.findIndex((e) => e.issuer === entry.issuer);
    if (same < i) {
      throw new ConfigError(
        `clusters[${same}] (${clusters[same]!.cluster}) and clusters[${i}] (${entry.cluster}) have the same issuer ${entry.issuer}: the server tells clusters' tokens apart by their issuer, so each cluster needs its own (kubeadm's default is the same in every cluster: set --service-account-issuer of each cluster's API server to a URL of its own, and tokenIssuer in the spec to match)`,
      );
    }
  });
}
