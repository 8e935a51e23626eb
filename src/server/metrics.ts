/** Prometheus metrics (prom-client), in a registry of the server's own. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics(now: {
  waiting: () => number;
  connections: () => { open: number; unauthenticated: number };
  unwritableDecisionLogs: () => number;
}) {
  const { waiting, connections } = now;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Bundle requests are counted in plain numbers and handed to prom-client when it is scraped:
  // its inc() builds a string key from the labels on every call, on the hot path.
  const bundleOutcomes = new Map<string, number>();
  return {
    registry,
    countBundleRequest(outcome: string): void {
      bundleOutcomes.set(outcome, (bundleOutcomes.get(outcome) ?? 0) + 1);
    },
    bundleRequests: new Counter({
      name: 'custody_bundle_requests_total',
      help: 'Bundle downloads by outcome (200, 304 not modified, 304 after a long poll, 401, 403, 404, 503).',
      labelNames: ['outcome'] as const,
      registers: [registry],
      collect() {
        for (const [outcome, n] of bundleOutcomes) {
          if (n > 0) this.inc({ outcome }, n);
          bundleOutcomes.set(outcome, 0);
        }
      },
    }),
    apiRequests: new Counter({
      name: 'custody_api_requests_total',
      help: 'Other requests by route and status.',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    buildSeconds: new Histogram({
      name: 'custody_bundle_build_seconds',
      help: 'Time to read, build and sign one agent bundle with every configured key.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    waitingPolls: new Gauge({
      name: 'custody_long_polls_waiting',
      help: 'Long polls held open now.',
      registers: [registry],
      collect() {
        this.set(waiting());
      },
    }),
    connections: new Gauge({
      name: 'custody_connections',
      help: 'Open connections, by whether a request on them has authenticated.',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const c = connections();
        this.set({ state: 'authenticated' }, c.open - c.unauthenticated);
        this.set({ state: 'unauthenticated' }, c.unauthenticated);
      },
    }),
    decisionLogFailures: new Counter({
      name: 'custody_decision_log_write_failures_total',
      help: 'Decision-log uploads that could not be written (refused with 503; OPA retries them).',
      registers: [registry],
    }),
    unwritableDecisionLogs: new Gauge({
      name: 'custody_decision_logs_unwritable',
      help: 'Agents whose last decision-log write failed.',
      registers: [registry],
      collect() {
        this.set(now.unwritableDecisionLogs());
      },
    }),
    connectionsShed: new Counter({
      name: 'custody_connections_shed_total',
      help: 'Connections closed or dropped to keep a bound: the oldest unauthenticated one for a new one, the oldest of an agent beyond maxConnectionsPerAgent, one without traffic for longer than a long poll and a keep-alive, or a new one beyond maxConnections.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
