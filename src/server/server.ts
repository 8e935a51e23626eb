/**
 * The bundle server: the bundle hot path on node:http, and express for everything else (status,
 * decision logs, the rollout view, the GitHub webhook, health and metrics).
 *
 * One cohesive composition: every route shares the one authenticator, catalog, connection budget
 * and log made here, and each route's order of checks (authenticate, authorize, then read the
 * body) is read in one place.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { SERVER_ENV } from '../contract/index.js';
import { createSigner, type Signer } from '../bundle/index.js';
import { createAuthenticator, readStaticTokens, type Authenticator, type Identity } from './auth.js';
import { checkLabels, createSidecarAuthorizer, type SidecarCaller } from './authorize.js';
import { BodyBudget, checkDepth, parseJson, readBody } from './body.js';
import { createBundleRoute, isBundleRequest } from './bundles-route.js';
import { Catalog } from './catalog.js';
import type { ServerConfig } from './config.js';
import { ConnectionBudget } from './connections.js';
import { ConfigError, ServerError } from './errors.js';
import { createMetrics } from './metrics.js';
import { isLoopback } from './metrics-access.js';
import { checkDecisionId, Observations } from './observe.js';
import { createRefresher } from './refresher.js';
import { sendError } from './refusal.js';
import { registerRolloutPage } from './page/route.js';
import { rolloutView } from './rollout.js';
import { ChangeLog, lineLogger, RateLimitedLog } from './server-log.js';
import { GitSource } from './source.js';
import { createWebhook } from './webhook.js';

/** OPA's status reports are a few KiB and nest a few levels. */
const STATUS_MAX_BYTES = 1024 * 1024;
const STATUS_MAX_DEPTH = 32;
/**
 * Longer than Go's idle-connection timeout (90 s), which OPA's client uses: if the server closed
 * idle connections first, a status or log POST sent on one as it closes would fail (a POST is
 * not retried), and the owner would miss that report. Only authenticated connections stay open
 * between requests: the others are closed after their response.
 */
const KEEP_ALIVE_MS = 95_000;
/** How often sockets are looked at for traffic (ConnectionBudget.sweep). */
const SWEEP_MS = 5_000;

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
  /** Connections open on the server side now, as node:http counts them. */
  openConnections(): Promise<number>;
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
  const logger = lineLogger(options.logger);
  const refusals = new RateLimitedLog((m) => logger.info(m));
  const signers = loadSigners(config);
  // Allowed, so that a freshly generated deployment starts and reports ready: it fails closed,
  // refusing every sidecar (401), until a cluster's token issuer or a tokens file is configured.
  if (config.clusters.length === 0 && !config.tokensFile)
    logger.error('no way to authenticate sidecars is configured (clusters or tokensFile): every bundle request will be refused');
  const auth =
    options.auth ??
    createAuthenticator({
      ...(config.tokensFile ? { tokens: readStaticTokens(config.tokensFile) } : {}),
      clusters: config.clusters,
      audience: config.tokenAudience,
      maxLifetimeSeconds: config.maxTokenLifetimeSeconds,
    });
  const source = new GitSource({
    repository: config.repository,
    ...(config.branch ? { branch: config.branch } : {}),
    cacheDir: config.cacheDir,
    ...(options.env?.[SERVER_ENV.gitToken] ? { token: options.env[SERVER_ENV.gitToken] } : {}),
  });
  let catalog!: Catalog;
  let connections!: ConnectionBudget;
  const metrics = createMetrics({
    waiting: () => catalog.waiting(),
    connections: () => connections.counts(),
    unwritableDecisionLogs: () => observations.unwritable(),
  });
  // Silent for longer than the longest long poll (plus time to answer it) and than a keep-alive
  // connection may idle: nothing can still be in progress on the socket.
  const silentMs = Math.max((config.longPollMaxSeconds + 30) * 1000, KEEP_ALIVE_MS + SWEEP_MS);
  connections = new ConnectionBudget(
    config.maxUnauthenticatedConnections,
    silentMs,
    (reason) => metrics.connectionsShed.inc({ reason }),
    Date.now,
    config.maxConnectionsPerAgent,
  );
  catalog = new Catalog(source, signers, { timings: metrics.buildSeconds, maxBundleBytes: config.maxBundleBytes });
  const changes = new ChangeLog((m) => logger.error(m));
  const observations = new Observations({
    logFile: config.decisionLogFile,
    maxBytes: config.decisionLogMaxBytes,
    onWrite(key, file, error) {
      if (error) metrics.decisionLogFailures.inc();
      changes.set(
        `decision log ${key}`,
        error
          ? `cannot write the decision log of ${key} (${file}): ${error.message}; its uploads are refused (503) until it can, and OPA retries them`
          : undefined,
        `the decision log of ${key} is written again`,
      );
    },
  });
  const authorizeSidecar = createSidecarAuthorizer(catalog, (m) => logger.error(m));
  // Four bodies of the largest size per agent (OPA sends one upload at a time per instance and
  // retries a refused one), 32 in all: what uploads in flight can hold of the server's memory.
  const bodies = new BodyBudget(4 * config.maxBodyBytes, 32 * config.maxBodyBytes);
  const log = { refusals, error: (m: string) => logger.error(m) };
  const serveBundle = createBundleRoute({
    catalog,
    auth,
    authorizeSidecar,
    metrics,
    connections,
    log,
    activeKeyId: config.activeKeyId,
    longPollMaxSeconds: config.longPollMaxSeconds,
  });

  const refresh = createRefresher({ catalog, observations, logger });

  const app = express();
  app.disable('x-powered-by');
  const requireIdentity = (kind: Identity['kind']) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      const identity = await auth.authenticate(req.headers.authorization, req.socket);
      if (identity.kind !== kind) throw new ServerError('forbidden');
      res.locals.identity = identity;
      connections.trust(req.socket);
      res.removeHeader('connection');
      next();
    } catch (err) {
      next(err);
    }
  };
  // The sidecar routes share the bundle route's rule (authorize.ts); the body is read only after it.
  const requireSidecar = async (req: Request, res: Response, next: NextFunction) => {
    try {
      // With the connection: a sidecar reporting on a keep-alive connection is not hashed again (auth.ts).
      const caller = authorizeSidecar(await auth.authenticate(req.headers.authorization, req.socket));
      res.locals.caller = caller;
      connections.trust(req.socket, caller.key);
      res.removeHeader('connection');
      next();
    } catch (err) {
      next(err);
    }
  };
  const callerOf = (res: Response) => res.locals.caller as SidecarCaller;
  const count = (route: string) => (req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () => metrics.apiRequests.inc({ route, status: String(res.statusCode) }));
    next();
  };

  app.get('/healthz', count('healthz'), (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', count('readyz'), (_req, res) => {
    if (catalog.ready()) res.type('text/plain').send('ready\n');
    else res.status(503).type('text/plain').send('not ready: the repository has not been read yet\n');
  });
  // Loopback callers need no token under `local` (metrics-access.ts); everyone else an admin token.
  const metricsGate = (req: Request, res: Response, next: NextFunction) =>
    config.metricsAccess === 'open' || (config.metricsAccess === 'local' && isLoopback(req.socket.remoteAddress))
      ? next()
      : requireIdentity('admin')(req, res, next);
  app.get('/metrics', count('metrics'), metricsGate, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  // OPA's status plugin: JSON, not compressed (opa-notes 5.1); gzip accepted all the same.
  app.post('/status', count('status'), requireSidecar, async (req, res, next) => {
    try {
      const caller = callerOf(res);
      const bytes = await readBody(req, {
        limit: Math.min(config.maxBodyBytes, STATUS_MAX_BYTES),
        gzip: true,
        budget: bodies.for(caller.key),
        response: res,
      });
      checkDepth(bytes, STATUS_MAX_DEPTH);
      const body = parseJson(bytes) as { labels?: unknown } | null;
      checkLabels(caller, body?.labels);
      observations.recordStatus(caller.key, body);
      res.json({});
    } catch (err) {
      next(err);
    }
  });
  // OPA's decision logs: a gzip-compressed JSON array (opa-notes 5.2); inflated with the size bound applied.
  app.post('/logs', count('logs'), requireSidecar, async (req, res, next) => {
    try {
      const caller = callerOf(res);
      const body = parseJson(await readBody(req, { limit: config.maxBodyBytes, gzip: true, budget: bodies.for(caller.key), response: res }));
      if (!Array.isArray(body)) throw new ServerError('badRequest', 'decision logs are a JSON array of events');
      for (const event of body) {
        checkLabels(caller, (event as { labels?: unknown } | null)?.labels);
        checkDecisionId((event as { decision_id?: unknown } | null)?.decision_id);
      }
      const written = await observations.recordDecisions(caller.key, caller.identity.workflow, caller.identity.agent, body as unknown[]).catch(() => {
        throw new ServerError('unavailable', 'the decision log cannot be written now; retry later');
      });
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
  // No body parser: the webhook reads its body itself, after what the headers can refuse.
  const webhook = createWebhook({
    secret: config.webhookSecret,
    maxBodyBytes: config.webhookMaxBodyBytes,
    branch: () => source.describe().branch,
    onPush: () => void refresh(),
  });
  app.post('/hooks/github', count('github'), async (req, res, next) => {
    try {
      res.status(202).json(await webhook(req, res));
    } catch (err) {
      next(err instanceof ServerError ? new ServerError(err.code, `webhook refused: ${err.message}`) : err);
    }
  });
  registerRolloutPage(app, { requireAdmin: requireIdentity('admin'), count, head: () => catalog.status().head?.commit, source });
  app.use((_req, _res, next) => next(new ServerError('notFound')));
  // A refused caller keeps no connection, and an unread body is never read (refusal.ts).
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => void sendError(req, res, err, log));

  const bundleFailed = (res: http.ServerResponse, err: unknown) => {
    logger.error(`bundle request failed: ${(err as Error).message}`);
    if (!res.headersSent) res.writeHead(500).end();
  };
  const server = http.createServer(
    {
      // Slow clients cannot pin connections: the headers must arrive within 10 s and the whole
      // request within 30 s. node:http checks these only every connectionsCheckingInterval
      // (30 s by default, which let idle connections live 20 to 40 s): checked every second.
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      connectionsCheckingInterval: 1_000,
      keepAliveTimeout: KEEP_ALIVE_MS,
    },
    (req, res) => {
      if (isBundleRequest(req)) {
        // Answered in this turn when the token is known; a promise only while one is verified.
        try {
          serveBundle(req, res)?.catch((err: unknown) => bundleFailed(res, err));
        } catch (err) {
          bundleFailed(res, err);
        }
      } else {
        // Until the route authenticates the caller (requireIdentity), the answer ends the connection.
        if (!connections.trusted(req.socket)) res.setHeader('connection', 'close');
        app(req, res);
      }
    },
  );
  // A client that sends `Expect: 100-continue` waits for leave to send its body. Node gives it at
  // once unless this event is handled: handled like any request, leave is given by readBody once
  // the caller passed the route's checks (body.ts), and a refused caller never sends its body.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => server.emit('request', req, res));
  server.maxConnections = config.maxConnections;
  server.on('connection', (socket) => connections.accept(socket));
  server.on('drop', () => metrics.connectionsShed.inc({ reason: 'connection limit' }));

  await refresh();
  const timer = setInterval(() => void refresh(), config.pollSeconds * 1000);
  timer.unref();
  const sweeper = setInterval(() => connections.sweep(), SWEEP_MS);
  sweeper.unref();
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
    openConnections: () => new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n)))),
    async close() {
      clearInterval(timer);
      clearInterval(sweeper);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
