/**
 * The one door to a live cluster: a kubeconfig context (read as kubectl reads it) and a dynamic
 * object client on @kubernetes/client-node that sends and returns objects exactly as written.
 *
 * Why not `KubernetesObjectApi.patch` as is: it serializes a known kind through its typed model,
 * which silently drops every field the model does not know, so an apply would "succeed" without
 * sending what Git holds. The subclass keeps the library's URL resolution (API discovery),
 * authentication and transport, and only sends the body untouched and returns the raw JSON.
 * The API server's `Warning` headers (Pod Security admission, deprecations) are collected: an
 * accepted object with a warning is not a clean apply.
 */
import {
  ApiException,
  createConfiguration,
  HttpMethod,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  ServerConfiguration,
  type KubernetesObject,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { ClusterError } from './errors.js';

/** A Kubernetes object as plain JSON. */
export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string } & Record<string, unknown>;
};

export const FIELD_MANAGER = 'custody';

export interface ClusterClient {
  /** The kubeconfig context used. */
  readonly context: string;
  /** The API server URL. */
  readonly server: string;
  readonly kubeConfig: KubeConfig;
  /** Server-side apply (field manager `custody`); `dryRun` runs every admission stage without persisting. */
  apply(object: KubeObject, options?: { dryRun?: boolean; force?: boolean }): Promise<{ object: KubeObject; warnings: string[] }>;
  /** The live object, or undefined when it does not exist (or its kind is not served). */
  get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject | undefined>;
  /** Every object of a kind (in a namespace); empty when the kind is not served. */
  list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KubeObject[]>;
  remove(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<void>;
}

/** Loads the kubeconfig as kubectl does (KUBECONFIG, then ~/.kube/config), or the file given. */
export function loadKubeConfig(options: { file?: string; context?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (options.file) kc.loadFromFile(options.file);
    else kc.loadFromDefault();
  } catch (err) {
    throw new ClusterError('kubeconfig', 'usage', `cannot read the kubeconfig: ${(err as Error).message}`, { hint: 'set KUBECONFIG or pass --kubeconfig' });
  }
  if (options.context !== undefined) {
    if (!kc.getContexts().some((c) => c.name === options.context)) {
      throw new ClusterError('kubeconfig-context', 'usage', `the kubeconfig has no context "${options.context}"`, {
        hint: `contexts: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || '(none)'
        }`,
      });
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()) throw new ClusterError('kubeconfig-context', 'usage', 'the kubeconfig names no current cluster', { hint: 'pass --context' });
  return kc;
}

class RawObjectApi extends KubernetesObjectApi {
  async applyRaw(object: KubeObject, dryRun: boolean, force: boolean): Promise<KubeObject> {
    const ctx = this.configuration.baseServer.makeRequestContext(await this.specUriPath(object, 'patch'), HttpMethod.PATCH);
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    ctx.setQueryParam('fieldManager', FIELD_MANAGER);
    if (force) ctx.setQueryParam('force', 'true');
    if (dryRun) ctx.setQueryParam('dryRun', 'All');
    ctx.setBody(JSON.stringify(object));
    return (await this.requestPromise(ctx, 'any')) as KubeObject;
  }

  async getRaw(apiVersion: string, kind: string, name: string, namespace: string | undefined): Promise<KubeObject> {
    const spec = { apiVersion, kind, metadata: { name, ...(namespace !== undefined ? { namespace } : {}) } };
    const ctx = this.configuration.baseServer.makeRequestContext(await this.specUriPath(spec, 'read'), HttpMethod.GET);
    ctx.setHeaderParam('Accept', 'application/json');
    return (await this.requestPromise(ctx, 'any')) as KubeObject;
  }

  async listRaw(apiVersion: string, kind: string, namespace: string | undefined, labelSelector: string | undefined): Promise<KubeObject[]> {
    const resource = await this.resource(apiVersion, kind);
    if (!resource) throw new ClusterError('kind-not-served', 'operational', `${kind} (${apiVersion}) is not served`);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = resource.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    const ctx = this.configuration.baseServer.makeRequestContext(`${base}${ns}/${resource.name}`, HttpMethod.GET);
    ctx.setHeaderParam('Accept', 'application/json');
    if (labelSelector !== undefined) ctx.setQueryParam('labelSelector', labelSelector);
    const list = (await this.requestPromise(ctx, 'any')) as { items?: KubeObject[] };
    // A list's items carry no apiVersion and kind: the list's type says them.
    return (list.items ?? []).map((item) => ({ ...item, apiVersion, kind }));
  }

  async removeRaw(object: KubernetesObject): Promise<void> {
    await this.delete(object);
  }
}

export function connect(kc: KubeConfig): ClusterClient {
  const cluster = kc.getCurrentCluster()!;
  let warnings: string[] = [];
  const collectWarnings = {
    pre: async (ctx: RequestContext) => ctx,
    post: async (response: ResponseContext) => {
      const header = response.headers['warning'];
      if (header) warnings.push(...splitWarnings(header));
      return response;
    },
  };
  const api = new RawObjectApi(
    createConfiguration({ baseServer: new ServerConfiguration(cluster.server, {}), authMethods: { default: kc }, promiseMiddleware: [collectWarnings] }),
  );
  const notFound = (err: unknown) => err instanceof ApiException && err.code === 404;
  const unserved = (err: unknown) =>
    (err instanceof ClusterError && err.code === 'kind-not-served') ||
    (err instanceof Error && /Unrecognized API version and kind|Failed to fetch resource metadata/.test(err.message));
  return {
    context: kc.getCurrentContext(),
    server: cluster.server,
    kubeConfig: kc,
    async apply(object, options = {}) {
      // One request at a time per client: the collected warnings belong to this call.
      warnings = [];
      try {
        const applied = await api.applyRaw(object, options.dryRun ?? false, options.force ?? false);
        return { object: applied, warnings };
      } catch (err) {
        // Its group served but not its kind (a CRD missing from an installed project): not a network failure.
        if (unserved(err)) {
          throw new ClusterError(
            'kind-not-served',
            'operational',
            `${describeObject(object)}: ${object.kind} (${object.apiVersion}) is not served by this API server`,
            {
              hint: 'install the CustomResourceDefinition that serves it (custody doctor names the missing ones)',
              cause: err,
            },
          );
        }
        throw rejected(object, err);
      }
    },
    async get(apiVersion, kind, name, namespace) {
      try {
        return await api.getRaw(apiVersion, kind, name, namespace);
      } catch (err) {
        if (notFound(err) || unserved(err)) return undefined;
        throw rejected({ apiVersion, kind, metadata: { name, ...(namespace !== undefined ? { namespace } : {}) } }, err);
      }
    },
    async list(apiVersion, kind, namespace, labelSelector) {
      try {
        return await api.listRaw(apiVersion, kind, namespace, labelSelector);
      } catch (err) {
        if (notFound(err) || unserved(err)) return [];
        throw rejected({ apiVersion, kind, metadata: { name: '*', ...(namespace !== undefined ? { namespace } : {}) } }, err);
      }
    },
    async remove(object) {
      try {
        await api.removeRaw(object);
      } catch (err) {
        if (!notFound(err)) throw rejected(object, err);
      }
    },
  };
}

/** `299 - "text", 299 - "other"`: the warn-code and agent are noise, the quoted text is the warning. */
export function splitWarnings(header: string): string[] {
  const out: string[] = [];
  const re = /\d{3} [^ ]+ "((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(header); m; m = re.exec(header)) out.push(m[1]!.replace(/\\(.)/g, '$1'));
  return out.length > 0 ? out : [header];
}

export function describeObject(o: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

function rejected(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, err: unknown): ClusterError {
  if (err instanceof ClusterError) return err;
  if (err instanceof ApiException) {
    const body = parsedBody(err.body);
    const message = typeof body === 'object' && body?.message ? body.message : String(body ?? err.message);
    return new ClusterError('api-rejected', 'operational', `${describeObject(object)}: the API server answered ${err.code}: ${message}`, {
      data: { status: err.code, ...(typeof body === 'object' && body?.reason ? { reason: body.reason } : {}) },
      cause: err,
    });
  }
  return new ClusterError('api-unreachable', 'operational', `${describeObject(object)}: ${(err as Error).message}`, { cause: err });
}

/** The library hands the Status body over as text when it cannot type it. */
function parsedBody(body: unknown): { message?: string; reason?: string } | string | undefined {
  if (typeof body !== 'string') return body as { message?: string; reason?: string } | undefined;
  try {
    return JSON.parse(body) as { message?: string; reason?: string };
  } catch {
    return body.trim();
  }
}
