/**
 * One cohesive pass: the checks share one walk of the spec and its name tables, so they stay together.
 * The checks JSON Schema cannot express: names that must refer to something, uniqueness across
 * actors, timezones, times and instants, paths, and conditions that can never hold. They run on
 * the raw document even when the schema found problems, skipping values of the wrong type (the
 * schema has reported those), so that one run reports everything.
 */
import { MESH_SERVER_URL, SERVER_ENV, SERVER_HOST, SYSTEM_NAMESPACE } from '../contract/index.js';
import { carriesSecret, quotable, redactUrl } from '../core/url.js';
import { DiagnosticCodes, didYouMean, type Diagnostic, type DiagnosticCode, type Severity } from './diagnostic.js';
import { addressKind } from './address.js';
import { compareAttribute, COMPARATORS, type AttributeValue } from './condition.js';
import { CLUSTER_SETTINGS, DEFAULTS, sameSetting } from './model.js';
import { pathProblem } from './paths.js';
import { workflowSchema } from './schema.js';
import { fieldName, type FieldPath, type SourceFile } from './source.js';
import { isTimezone, parseClock, parseInstant } from './time.js';

/** Namespaces a workflow must never be deployed into. */
const RESERVED_NAMESPACES = new Set(['default', SYSTEM_NAMESPACE, 'istio-system', 'opa-istio']);

/** Ports the pod's sidecars already listen on: Istio's proxy and agent, and the OPA sidecar. */
export const RESERVED_PORTS: ReadonlyMap<number, string> = new Map([
  [8181, 'the OPA sidecar API'],
  [8282, 'the OPA sidecar diagnostics'],
  [9191, 'the OPA sidecar ext_authz gRPC'],
  [15000, 'the Envoy admin interface'],
  [15001, 'Envoy outbound capture'],
  [15004, 'the Istio agent debug port'],
  [15006, 'Envoy inbound capture'],
  [15008, 'Istio HBONE'],
  [15020, 'Istio merged metrics'],
  [15021, 'the Istio health check'],
  [15053, 'Istio DNS proxy'],
  [15090, 'Envoy Prometheus telemetry'],
]);

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
/** A setting as a message quotes it: a URL's credentials are never repeated. */
const quoted = (v: unknown) => JSON.stringify(isStr(v) ? quotable(v) : v);

const MESH_SERVER = new URL(MESH_SERVER_URL);

/**
 * What is wrong with a bundleServer URL that names the server's host in the mesh, if anything: the
 * generated Service, sidecar egress and remote ServiceEntries know one port and plain HTTP (the mesh
 * adds mutual TLS), so any other port, scheme or path would leave the sidecars without bundles.
 */
function meshServerUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined; // reported as an unreadable URL
  }
  if (url.hostname !== SERVER_HOST) return undefined;
  if (url.protocol !== MESH_SERVER.protocol)
    return `which speaks ${MESH_SERVER.protocol.slice(0, -1)} (the mesh adds mutual TLS), not ${url.protocol.slice(0, -1)}`;
  if (url.port !== MESH_SERVER.port) return `which listens on port ${MESH_SERVER.port}, not ${url.port || 'the default port'}`;
  if (url.pathname !== '/' || url.username || url.password || url.hash) return 'which serves its bundles at the root of that URL';
  return undefined;
}

/**
 * The spec's URL-valued settings: a URL of each kind for the hints, and where credentials belong
 * instead of in the URL, for those whose URL could hold them. Their schema patterns check little
 * more than the scheme, while everything downstream reads them with a URL parser: the generator
 * (the hosts and ports of the bundle server's egress and routes), the bundle server, Argo CD and
 * Flux. So each must be a URL a parser reads, or it would pass check and fail later, in generate
 * or in a cluster. And a spec is committed to Git and these URLs are copied into the generated
 * manifests, so a token in one would be readable in the repository's history.
 */
const URL_SETTINGS: Readonly<Record<'repository' | 'server' | 'tokenIssuer' | 'tokenJwksUrl' | 'bundleServer', { example: string; credentials?: string }>> = {
  repository: {
    example: 'https://git.example/org/repo.git',
    credentials: `for a private repository the bundle server takes its token from ${SERVER_ENV.gitToken} (the generated Deployment reads it from a Secret, see docs/gitops.md), Argo CD and Flux from their own repository credentials`,
  },
  server: {
    example: 'https://k8s.studio.example:6443',
    credentials: "Argo CD reaches the cluster's API server with the credentials of its own cluster Secret",
  },
  tokenIssuer: {
    example: 'https://oidc.studio.example',
    credentials: "the issuer is compared with the tokens' iss as written: copy it from kubectl get --raw /.well-known/openid-configuration",
  },
  tokenJwksUrl: {
    example: 'https://oidc.studio.example/openid/v1/jwks',
    credentials: 'the bundle server fetches the key set without credentials: give a URL that needs none, or commit the key set as keys/jwks/<cluster>.json',
  },
  bundleServer: { example: 'https://bundles.studio.example' },
};
type UrlSetting = keyof typeof URL_SETTINGS;

/** The schema's patterns of the URL settings: what one refuses, the schema reports, and only it. */
const clusterFields = workflowSchema.$defs.actor.properties.cluster.properties;
const patterns = Object.fromEntries(Object.keys(URL_SETTINGS).map((f) => [f, new RegExp(clusterFields[f as UrlSetting].pattern, 'u')])) as Record<
  UrlSetting,
  RegExp
>;
const SPEC_REPOSITORY_PATTERN = new RegExp(workflowSchema.properties.spec.properties.repository.pattern, 'u');

/**
 * Why a URL that passed its pattern cannot be used, if it cannot: no parser reads it, or it names
 * no host or port 0, which nothing can connect to. The reason names the part to fix without
 * quoting it: text before an "@" the parser could not place may be a password.
 */
function urlProblem(value: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url) {
    if (url.hostname === '') return 'it names no host';
    if (url.port === '0') return 'its port is 0';
    return url.hostname.startsWith('[') ? undefined : hostNameProblem(url.hostname);
  }
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#\\]*)/i.exec(value)?.[1] ?? '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  if (hostPort.startsWith('[') && !hostPort.includes(']')) return 'its IPv6 address has no closing "]"';
  const [, host, port] = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort) ?? [];
  if (host === '') return 'it names no host';
  if (port !== undefined && !/^[0-9]*$/.test(port)) return 'its port is not a number';
  if (port !== undefined && Number(port) > 65535) return 'its port is above 65535';
  return 'its host is not a valid host name or IP address';
}

/**
 * A URL parser takes `git..example` or a 70-character label as a host name; DNS has no such
 * name, so the URL would only fail where it is used (a reconciler, the bundle server's fetch).
 * One trailing dot (an absolute name) is a name.
 */
function hostNameProblem(host: string): string | undefined {
  const labels = (host.endsWith('.') ? host.slice(0, -1) : host).split('.');
  if (labels.some((l) => l === '')) return 'its host name has an empty label (two dots in a row, or a leading dot)';
  if (labels.some((l) => l.length > 63)) return 'its host name has a label longer than 63 characters';
  if (host.length > 253) return 'its host name is longer than 253 characters';
  return undefined;
}

export function semanticDiagnostics(source: SourceFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (severity: Severity, code: DiagnosticCode, path: FieldPath, message: string, hint?: string, key = false) => {
    const pos = source.position(path, key);
    out.push({ severity, code, file: source.file, line: pos.line, column: pos.column, field: fieldName(path), message, ...(hint ? { hint } : {}) });
  };
  const error = (code: DiagnosticCode, path: FieldPath, message: string, hint?: string, key = false) => report('error', code, path, message, hint, key);

  const doc = source.value;
  if (!isObj(doc)) {
    error(DiagnosticCodes.notAMapping, [], 'a workflow file must be a YAML mapping', 'start from workflows/movie-post-production.yaml');
    return out;
  }
  const name = isObj(doc.metadata) ? doc.metadata.name : undefined;
  if (isStr(name) && (RESERVED_NAMESPACES.has(name) || name.startsWith('kube-'))) {
    error(
      DiagnosticCodes.reservedName,
      ['metadata', 'name'],
      `"${name}" is a reserved namespace`,
      'choose another workflow name; it becomes the namespace in every cluster',
    );
  }
  const spec = isObj(doc.spec) ? doc.spec : undefined;
  if (!spec) return out;

  const credentials = (path: FieldPath, field: UrlSetting, value: unknown) => {
    const instead = URL_SETTINGS[field].credentials;
    if (instead === undefined || !isStr(value) || !carriesSecret(value)) return;
    error(
      DiagnosticCodes.credentialsInUrl,
      path,
      `the URL ${redactUrl(value)} carries credentials (removed here): a spec is committed to Git and this URL is copied into the generated manifests, so they would be in the repository for everyone who can read it`,
      `write the URL without them (and revoke the token if this file was ever committed); ${instead}`,
    );
  };
  credentials(['spec', 'repository'], 'repository', spec.repository);
  const readable = (path: FieldPath, field: UrlSetting, value: unknown, pattern = patterns[field]) => {
    if (!isStr(value) || !pattern.test(value)) return;
    const problem = urlProblem(value);
    if (!problem) return;
    error(
      DiagnosticCodes.invalidValue,
      path,
      `${quoted(value)} is not a valid URL: ${problem}`,
      `write the host as a name or an [IPv6 address] and any port as a number from 1 to 65535, e.g. ${URL_SETTINGS[field].example}`,
    );
  };
  readable(['spec', 'repository'], 'repository', spec.repository, SPEC_REPOSITORY_PATTERN);

  if (isStr(spec.timezone) && spec.timezone !== '' && !isTimezone(spec.timezone)) {
    const guess = didYouMean(spec.timezone, Intl.supportedValuesOf('timeZone'));
    error(
      DiagnosticCodes.unknownTimezone,
      ['spec', 'timezone'],
      `"${spec.timezone}" is not an IANA timezone`,
      guess ? `did you mean "${guess}"?` : 'use a name such as Europe/Paris or UTC',
    );
  }

  // Agents: names unique across the whole workflow, since each is a ServiceAccount in the workflow's namespace.
  const agents = new Map<string, { actor: string; attributes: Record<string, AttributeValue> }>();
  const clusters = new Map<string, { actor: string; fields: Raw }>();
  const actors = isObj(spec.actors) ? spec.actors : {};
  for (const [actorName, actor] of Object.entries(actors)) {
    if (!isObj(actor)) continue;
    const cluster = isObj(actor.cluster) ? actor.cluster : undefined;
    if (cluster && isStr(cluster.name)) {
      const prior = clusters.get(cluster.name);
      if (!prior) clusters.set(cluster.name, { actor: actorName, fields: cluster });
      else {
        for (const field of CLUSTER_SETTINGS) {
          const mine = cluster[field];
          const theirs = prior.fields[field];
          if (mine !== undefined && theirs !== undefined && !sameSetting(mine, theirs)) {
            error(
              DiagnosticCodes.clusterConflict,
              ['spec', 'actors', actorName, 'cluster', field],
              `cluster "${cluster.name}" has ${field} ${quoted(mine)} here but ${quoted(theirs)} for actor "${prior.actor}"`,
              `a cluster is one place: give both actors the same ${field}, or different cluster names`,
            );
          }
        }
      }
    }
    if (cluster) {
      for (const field of Object.keys(URL_SETTINGS) as UrlSetting[]) {
        credentials(['spec', 'actors', actorName, 'cluster', field], field, cluster[field]);
        readable(['spec', 'actors', actorName, 'cluster', field], field, cluster[field]);
      }
    }
    const gateway = cluster && isObj(cluster.eastWestGateway) ? cluster.eastWestGateway : undefined;
    if (gateway && isStr(gateway.address) && /^[0-9A-Za-z.:-]+$/.test(gateway.address) && !addressKind(gateway.address)) {
      error(
        DiagnosticCodes.invalidValue,
        ['spec', 'actors', actorName, 'cluster', 'eastWestGateway', 'address'],
        `${JSON.stringify(gateway.address)} is neither an IP address nor a DNS name`,
        'write the IPv4 or IPv6 address or the DNS name (lowercase, DNS-1123) by which the other organisations reach the gateway, e.g. 203.0.113.10 or eastwest.mesh.example',
      );
    }
    const meshServerProblem = cluster && isStr(cluster.bundleServer) ? meshServerUrlProblem(cluster.bundleServer) : undefined;
    if (meshServerProblem) {
      error(
        DiagnosticCodes.invalidValue,
        ['spec', 'actors', actorName, 'cluster', 'bundleServer'],
        `${JSON.stringify(cluster!.bundleServer)} names the owner's bundle server in the mesh, ${meshServerProblem}`,
        `write ${MESH_SERVER_URL}, or the URL of a server the owner publishes elsewhere`,
      );
    }
    const actorAgents = isObj(actor.agents) ? actor.agents : {};
    for (const [agentName, agent] of Object.entries(actorAgents)) {
      const prior = agents.get(agentName);
      if (prior) {
        error(
          DiagnosticCodes.duplicateName,
          ['spec', 'actors', actorName, 'agents', agentName],
          `agent "${agentName}" is already defined by actor "${prior.actor}"`,
          'agent names must be unique across the whole workflow; rename one',
          true,
        );
        continue;
      }
      const attributes = isObj(agent) && isObj(agent.attributes) ? (agent.attributes as Record<string, AttributeValue>) : {};
      agents.set(agentName, { actor: actorName, attributes });
      if (isObj(agent) && isStr(agent.image) && !isPinned(agent.image)) {
        error(
          DiagnosticCodes.unpinnedImage,
          ['spec', 'actors', actorName, 'agents', agentName, 'image'],
          `image ${agent.image} is not pinned: what runs could change without a change to the spec`,
          'name a version tag other than latest, or a digest (@sha256:...)',
        );
      }
      if (isObj(agent) && typeof agent.port === 'number' && RESERVED_PORTS.has(agent.port)) {
        error(
          DiagnosticCodes.reservedPort,
          ['spec', 'actors', actorName, 'agents', agentName, 'port'],
          `port ${agent.port} is used by ${RESERVED_PORTS.get(agent.port)} in every agent pod`,
          'choose another port for the service, e.g. 8080',
        );
      }
    }
  }

  sharedIdentityWarnings(isStr(spec.trustDomain) ? spec.trustDomain : DEFAULTS.trustDomain, actors, report);

  if (isStr(spec.owner) && !(spec.owner in actors)) {
    const guess = didYouMean(spec.owner, Object.keys(actors));
    error(
      DiagnosticCodes.unknownOwner,
      ['spec', 'owner'],
      `owner "${spec.owner}" is not one of the actors`,
      guess ? `did you mean "${guess}"?` : `declare "${spec.owner}" under spec.actors, or name one of: ${Object.keys(actors).join(', ')}`,
    );
  }

  const flows = Array.isArray(spec.flows) ? spec.flows : [];
  const seenFlows = new Map<string, number>();
  flows.forEach((flow, i) => {
    if (!isObj(flow)) return;
    const at = (...rest: (string | number)[]) => ['spec', 'flows', i, ...rest];
    for (const end of ['from', 'to'] as const) {
      const ref = flow[end];
      if (isStr(ref) && !agents.has(ref)) {
        const guess = didYouMean(ref, agents.keys());
        error(
          DiagnosticCodes.unknownAgent,
          at(end),
          `agent "${ref}" is not defined`,
          guess ? `did you mean "${guess}"?` : "declare it under an actor's agents, or fix the name",
        );
      }
    }
    if (isStr(flow.from) && flow.from === flow.to) {
      error(
        DiagnosticCodes.selfFlow,
        at('to'),
        `a flow from agent "${flow.from}" to itself`,
        'an agent does not need a flow to reach itself; remove this flow',
      );
    }
    if (Array.isArray(flow.methods)) {
      const seen = new Set<unknown>();
      flow.methods.forEach((m, j) => {
        if (seen.has(m)) report('warning', DiagnosticCodes.invalidMethod, at('methods', j), `method ${String(m)} is listed twice`, 'remove the repetition');
        seen.add(m);
      });
    }
    if (isStr(flow.path)) {
      const problem = pathProblem(flow.path);
      if (problem)
        error(
          DiagnosticCodes.invalidPath,
          at('path'),
          `${JSON.stringify(flow.path)} ${problem}`,
          'write an absolute path such as /api/color, or /api/* for everything below /api',
        );
    }
    const bounds: { notBefore?: bigint; until?: bigint } = {};
    for (const field of ['notBefore', 'until'] as const) {
      const v = flow[field];
      if (!isStr(v)) continue;
      const parsed = parseInstant(v);
      if ('error' in parsed)
        error(
          DiagnosticCodes.invalidInstant,
          at(field),
          `${JSON.stringify(v)} ${parsed.error}`,
          'write an RFC 3339 instant with a timezone, e.g. 2027-03-31T00:00:00Z',
        );
      else bounds[field] = parsed.ns;
    }
    if (bounds.notBefore !== undefined && bounds.until !== undefined && bounds.until <= bounds.notBefore) {
      error(
        DiagnosticCodes.neverHolds,
        at('until'),
        `until ${String(flow.until)} is not after notBefore ${String(flow.notBefore)}, so the flow can never be taken`,
        'until is exclusive: make it later than notBefore',
      );
    }
    const source = isStr(flow.from) ? agents.get(flow.from) : undefined;
    if (Array.isArray(flow.when)) checkWhen(flow.when, source?.attributes, isStr(flow.from) ? flow.from : '?', at, error, report);

    if (isStr(flow.from) && isStr(flow.to) && isStr(flow.path) && Array.isArray(flow.methods)) {
      for (const m of flow.methods) {
        const key = JSON.stringify([flow.from, flow.to, m, flow.path, flow.when ?? null, flow.notBefore ?? null, flow.until ?? null]);
        const prior = seenFlows.get(key);
        if (prior !== undefined && prior !== i) {
          report(
            'warning',
            DiagnosticCodes.duplicateFlow,
            at(),
            `flow repeats ${String(m)} ${flow.path} from "${flow.from}" to "${flow.to}" of spec.flows[${prior}]`,
            'remove the repetition',
          );
        }
        seenFlows.set(key, i);
      }
    }
  });
  return out;
}

/**
 * Whoever administers a cluster can create the workflow's namespace and a ServiceAccount of any
 * name in it, and their mesh's certificate authority then issues that name's identity in the
 * cluster's trust domain. So two actors on one cluster, or two organisations' clusters with one
 * trust domain, are not told apart by the policies: warned, since a reviewer may accept it
 * knowingly (e.g. two teams of one company), but never silently.
 */
function sharedIdentityWarnings(
  defaultDomain: string,
  actors: Raw,
  report: (severity: Severity, code: DiagnosticCode, path: FieldPath, message: string, hint?: string) => void,
): void {
  const clusterActors = new Map<string, string[]>();
  const clusterDomain = new Map<string, string>();
  for (const [actorName, actor] of Object.entries(actors)) {
    const cluster = isObj(actor) && isObj(actor.cluster) ? actor.cluster : undefined;
    if (!cluster || !isStr(cluster.name)) continue;
    clusterActors.set(cluster.name, [...(clusterActors.get(cluster.name) ?? []), actorName]);
    if (isStr(cluster.trustDomain) && !clusterDomain.has(cluster.name)) clusterDomain.set(cluster.name, cluster.trustDomain);
  }
  const domainClusters = new Map<string, string[]>();
  for (const [cluster, names] of clusterActors) {
    const domain = clusterDomain.get(cluster) ?? defaultDomain;
    domainClusters.set(domain, [...(domainClusters.get(domain) ?? []), cluster]);
    const [first, ...others] = names as [string, ...string[]];
    for (const other of others) {
      report(
        'warning',
        DiagnosticCodes.sharedCluster,
        ['spec', 'actors', other, 'cluster', 'name'],
        `actors "${first}" and "${other}" share cluster "${cluster}": its administrator can run a workload as any agent of either actor, and the policies cannot tell which organisation sent a request`,
        "give each organisation its own cluster, unless both actors trust that cluster's administrator",
      );
    }
  }
  for (const [domain, clusters] of domainClusters) {
    const [first, ...others] = clusters as [string, ...string[]];
    for (const other of others) {
      const actor = clusterActors.get(other)![0]!;
      const given = isObj(actors[actor]) && isObj((actors[actor] as Raw).cluster) && isStr(((actors[actor] as Raw).cluster as Raw).trustDomain);
      report(
        'warning',
        DiagnosticCodes.sharedTrustDomain,
        ['spec', 'actors', actor, 'cluster', given ? 'trustDomain' : 'name'],
        `clusters "${first}" (actor "${clusterActors.get(first)![0]}") and "${other}" (actor "${actor}") share trust domain ${domain}: the administrator of either cluster can create this workflow's namespace and a ServiceAccount named after an agent of the other, get a valid certificate for it from their own mesh, and be accepted as that agent`,
        "give each organisation's cluster its own trust domain: spec.actors.<actor>.cluster.trustDomain, e.g. mesh.<organisation domain>",
      );
    }
  }
}

/** A digest, or a tag other than `latest`. */
export function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  return colon > 0 && colon < image.length - 1 && image.slice(colon + 1) !== 'latest';
}

type Report = (severity: Severity, code: DiagnosticCode, path: FieldPath, message: string, hint?: string) => void;

function checkWhen(
  when: unknown[],
  attributes: Record<string, AttributeValue> | undefined,
  sourceName: string,
  at: (...rest: (string | number)[]) => (string | number)[],
  error: (code: DiagnosticCode, path: FieldPath, message: string, hint?: string) => void,
  report: Report,
): void {
  const never: { index: number; reason: string }[] = [];
  let checkable = 0;
  when.forEach((alt, k) => {
    if (!isObj(alt)) return;
    const here = (...rest: (string | number)[]) => at('when', k, ...rest);
    let reason: string | undefined;
    let malformed = false;
    if (isObj(alt.hours)) {
      const from = isStr(alt.hours.from) ? parseClock(alt.hours.from) : undefined;
      const to = isStr(alt.hours.to) ? parseClock(alt.hours.to, true) : undefined;
      if (isStr(alt.hours.from) && from === undefined) {
        error(
          DiagnosticCodes.invalidTime,
          here('hours', 'from'),
          `${JSON.stringify(alt.hours.from)} is not a time of day`,
          'write 24-hour HH:MM, e.g. "08:00" (quote it)',
        );
        malformed = true;
      }
      if (isStr(alt.hours.to) && to === undefined) {
        error(
          DiagnosticCodes.invalidTime,
          here('hours', 'to'),
          `${JSON.stringify(alt.hours.to)} is not a time of day`,
          'write 24-hour HH:MM, e.g. "17:00", or "24:00" for the end of the day',
        );
        malformed = true;
      }
      if (from !== undefined && to !== undefined && from === to) {
        reason = `the hours window ${String(alt.hours.from)}-${String(alt.hours.to)} is empty`;
      }
    }
    if (Array.isArray(alt.days)) {
      const seen = new Set<unknown>();
      alt.days.forEach((d, j) => {
        if (seen.has(d)) report('warning', DiagnosticCodes.invalidCondition, here('days', j), `day ${String(d)} is listed twice`, 'remove the repetition');
        seen.add(d);
      });
    }
    const comparators = COMPARATORS.filter((c) => c in alt);
    if (alt.attribute !== undefined || comparators.length > 0) {
      if (alt.attribute === undefined) {
        error(DiagnosticCodes.invalidCondition, here(comparators[0]!), `"${comparators[0]}" needs an "attribute" to compare`, 'add attribute: NAME beside it');
        malformed = true;
      } else if (comparators.length !== 1) {
        error(
          DiagnosticCodes.invalidCondition,
          here('attribute'),
          comparators.length === 0 ? 'an attribute test needs one comparison' : `an attribute test takes one comparison, found ${comparators.join(', ')}`,
          `use exactly one of ${COMPARATORS.join(', ')}; for a range, write two alternatives or use a separate flow`,
        );
        malformed = true;
      } else if (isStr(alt.attribute) && attributes) {
        const comparator = comparators[0]!;
        const actual = attributes[alt.attribute];
        const expected = alt[comparator];
        if (actual === undefined) {
          // Attribute names are case-sensitive: `pcilevel` is not `pciLevel`, so the near miss is named.
          const guess = didYouMean(alt.attribute, Object.keys(attributes));
          reason = `agent "${sourceName}" has no attribute "${alt.attribute}"${guess ? ` (did you mean "${guess}"?)` : ''}`;
        } else if (comparator !== 'equals' && typeof actual !== 'number')
          reason = `${comparator} compares numbers, but attribute "${alt.attribute}" of agent "${sourceName}" is ${typeof actual} ${JSON.stringify(actual)}`;
        else if (comparator === 'equals' && typeof actual !== typeof expected)
          reason = `attribute "${alt.attribute}" of agent "${sourceName}" is ${typeof actual} ${JSON.stringify(actual)}, never equal to ${typeof expected} ${JSON.stringify(expected)}`;
        else if (isAttributeValue(expected) && !compareAttribute(comparator, actual, expected))
          reason = `attribute "${alt.attribute}" of agent "${sourceName}" is ${JSON.stringify(actual)}, so ${comparator} ${JSON.stringify(expected)} is false`;
      }
    }
    if (malformed) return;
    checkable++;
    if (reason) never.push({ index: k, reason });
  });
  if (never.length === 0) return;
  if (never.length === checkable && checkable === when.length) {
    error(
      DiagnosticCodes.neverHolds,
      at('when'),
      `no alternative of "when" can ever hold, so the flow can never be taken: ${never.map((n) => n.reason).join('; ')}`,
      'fix the condition, or remove the flow if it is not wanted',
    );
  } else {
    for (const n of never) {
      report(
        'warning',
        DiagnosticCodes.conditionAlternativeNeverHolds,
        at('when', n.index),
        `this alternative can never hold: ${n.reason}`,
        'remove it or fix it; the other alternatives still apply',
      );
    }
  }
}

function isAttributeValue(v: unknown): v is AttributeValue {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean';
}
