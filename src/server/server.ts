/**
 * The bundle server: the bundle hot path on node:http, and express for everything else (status,
 * decision logs, the rollout view, the GitHub webhook, health and metrics).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { SERVER_ENV } from '../contract/index.js';
import { createSigner, type Signer } from '../bundle/index.js';
import { createAuthenticator, readStaticTokens, type Authenticator, type Identity } from './auth.js';
import { createBundleRoute, isBundleRequest } from './bundles-route.js';
import { Catalog } from './catalog.js';
import type { ServerConfig } from './config.js';
import { ConfigError, ServerError } from './errors.js';
import { createMetrics } from './metrics.js';
import { Observations } from './observe.js';
import { registerRolloutPage } from './page/route.js';
import { rolloutView } from './rollout.js';
import { GitSource } from './source.js';

export interface Logger {
  info(message: string): void;
  error(message: string): void;
}

export interface RunningServer {
  readonly url: string;
  readonly catalog: Catalog;
  readonly observations: Observations;
  /** Reads the branch head now (as a webhook does). */
  refresh(): Promise<string[]>;
  close(): Promise<void>;
}

export function loadSigners(config: ServerConfig): Signer[] {
  return config.signingKeys.map((k) => {
    try {
      return createSigner({ keyId: k.id, privateKeyPem: readFileSync(k.file) });
    } catch (err) {
      throw new ConfigError(`signing key "${k.id}" (${k.file}): ${(err as Error).message}`);
    }
  });
}

export async function startServer(config: ServerConfig, options: { logger: Logger; env?: NodeJS.ProcessEnv; auth?: Authenticator }): Promise<RunningServer> {
  const { logger } = options;
  const signers = loadSigners(config);
  // Allowed, so that a freshly generated deployment starts and reports ready: it fails closed,
  // refusing every sidecar (401), until a cluster's token issuer or a tokens file is configured.
  if (config.clusters.length === 0 && !config.tokensFile) logger.error('no way to authenticate sidecars is configured (clusters or tokensFile): every bundle request will be refused');
  const auth = options.auth ?? createAuthenticator({
    ...(config.tokensFile ? { tokens: readStaticTokens(config.tokensFile) } : {}),
    clusters: config.clusters,
    audience: config.tokenAudience,
  });
  const source = new GitSource({
    repository: config.repository,
    ...(config.branch ? { branch: config.branch } : {}),
    cacheDir: config.cacheDir,
    ...(options.env?.[SERVER_ENV.gitToken] ? { token: options.env[SERVER_ENV.gitToken] } : {}),
  });
  let catalog!: Catalog;
  const metrics = createMetrics(() => catalog.waiting());
  catalog = new Catalog(source, signers, metrics.buildSeconds);
  const observations = new Observations(config.decisionLogFile, config.decisionLogMaxBytes);
  const serveBundle = createBundleRoute({ catalog, auth, metrics, activeKeyId: config.activeKeyId, longPollMaxSeconds: config.longPollMaxSeconds });

  let refreshing: Promise<string[]> | undefined;
  let again = false;
  const refresh = async (): Promise<string[]> => {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      const changed: string[] = [];
      do {
        again = false;
        changed.push(...(await catalog.refresh()));
      } while (again);
      return changed;
    })();
    try {
      const changed = await refreshing;
      const s = catalog.status();
      if (s.lastError) logger.error(s.lastError.message);
      for (const e of catalog.all()) if (e.failure && e.failure.revision === s.head?.commit) logger.error(`${e.workflow}/${e.agent}: build failed at ${e.failure.revision.slice(0, 12)}: ${e.failure.message}; still serving ${e.revision ? e.revision.slice(0, 12) : 'nothing'}`);
      if (changed.length) logger.info(`revision ${s.head?.commit.slice(0, 12)}: rebuilt ${changed.length} bundle(s): ${changed.join(', ')}`);
      return changed;
    } finally {
      refreshing = undefined;
    }
  };

  const app = express();
  app.disable('x-powered-by');
  const requireIdentity = (kind: Identity['kind']) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const identity = await auth.authenticate(req.headers.authorization);
      if (identity.kind !== kind) throw new ServerError('forbidden');
      res.locals.identity = identity;
      next();
    } catch (err) {
      next(err);
    }
  };
  const agentKey = (res: Response) => {
    const id = res.locals.identity as Extract<Identity, { kind: 'agent' }>;
    return { key: `${id.workflow}/${id.agent}`, ...id };
  };
  const count = (route: string) => (req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () => metrics.apiRequests.inc({ route, status: String(res.statusCode) }));
    next();
  };

  app.get('/healthz', count('healthz'), (_req, res) => { res.type('text/plain').send('ok\n'); });
  app.get('/readyz', count('readyz'), (_req, res) => {
    if (catalog.ready()) res.type('text/plain').send('ready\n');
    else res.status(503).type('text/plain').send('not ready: the repository has not been read yet\n');
  });
  app.get('/metrics', count('metrics'), async (_req, res) => { res.type(metrics.registry.contentType).send(await metrics.registry.metrics()); });
  // OPA's status plugin: JSON, not compressed (opa-notes 5.1).
  app.post('/status', count('status'), requireIdentity('agent'), express.json({ limit: config.maxBodyBytes, type: () => true }), (req, res) => {
    observations.recordStatus(agentKey(res).key, req.body);
    res.json({});
  });
  // OPA's decision logs: a gzip-compressed JSON array (opa-notes 5.2); inflated with the size bound applied.
  app.post('/logs', count('logs'), requireIdentity('agent'), express.json({ limit: config.maxBodyBytes, inflate: true, type: () => true }), async (req, res, next) => {
    try {
      if (!Array.isArray(req.body)) throw new ServerError('badRequest', 'decision logs are a JSON array of events');
      const { key, workflow, agent } = agentKey(res);
      const written = await observations.recordDecisions(key, workflow, agent, req.body as unknown[]);
      res.json({ written });
    } catch (err) {
      next(err);
    }
  });
  app.get('/api/rollout', count('rollout'), requireIdentity('admin'), (_req, res) => {
    res.json(rolloutView(catalog, observations, source.describe()));
  });
  app.post('/api/refresh', count('refresh'), requireIdentity('admin'), async (_req, res) => {
    res.json({ rebuilt: await refresh() });
  });
  app.post('/hooks/github', count('github'), express.raw({ type: () => true, limit: config.maxBodyBytes }), (req, res, next) => {
    try {
      if (!config.webhookSecret) throw new ServerError('notFound', 'no webhook secret is configured');
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const expected = `sha256=${createHmac('sha256', config.webhookSecret).update(body).digest('hex')}`;
      const given = String(req.headers['x-hub-signature-256'] ?? '');
      if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) throw new ServerError('unauthenticated', 'bad webhook signature');
      const event = String(req.headers['x-github-event'] ?? '');
      if (event === 'push') void refresh();
      res.status(202).json({ event });
    } catch (err) {
      next(err);
    }
  });
  registerRolloutPage(app, { requireAdmin: requireIdentity('admin'), count, head: () => catalog.status().head?.commit, source });
  app.use((_req, _res, next) => next(new ServerError('notFound')));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err instanceof ServerError ? err : bodyError(err);
    if (e.status === 401) res.setHeader('www-authenticate', 'Bearer');
    res.status(e.status).json({ code: e.code, message: e.message });
  });

  const server = http.createServer((req, res) => {
    if (isBundleRequest(req)) {
      serveBundle(req, res).catch((err: unknown) => {
        logger.error(`bundle request failed: ${(err as Error).message}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    } else {
      app(req, res);
    }
  });
  // Slow clients cannot pin connections: the request must arrive in time, and an idle socket is
  // closed once no long poll can still be pending on it.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  // Longer than Go's idle-connection timeout (90 s), which OPA's client uses: if the server closed
  // idle connections first, a status or log POST sent on one as it closes would fail (a POST is
  // not retried), and the owner would miss that report.
  server.keepAliveTimeout = 95_000;
  server.setTimeout((config.longPollMaxSeconds + 30) * 1000, (socket) => socket.destroy());

  await refresh();
  const timer = setInterval(() => void refresh(), config.pollSeconds * 1000);
  timer.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    catalog,
    observations,
    refresh,
    async close() {
      clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function bodyError(err: unknown): ServerError {
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') return new ServerError('tooLarge');
  if (type === 'entity.parse.failed' || type === 'encoding.unsupported') return new ServerError('badRequest', 'the body is not valid JSON (gzip allowed)');
  return new ServerError('unavailable', 'internal error');
}
