/** Real OPA processes configured as an agent's sidecar (the same configuration the manifests carry). */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DECISION_REF } from '../contract/index.js';
import { opaSidecarConfig, type SidecarConfigOptions } from '../policy/index.js';
import { ExtAuthzClient } from './ext-authz.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The first of the candidates that exists: an explicit path, the project's tool folder, then PATH. */
export function findBinary(name: string, candidates: readonly (string | undefined)[]): string | undefined {
  for (const c of candidates) if (c && existsSync(c)) return c;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  return undefined;
}

export interface LocalSidecar {
  readonly agent: string;
  readonly restUrl: string;
  /** Set when the binary has the Envoy plugin: the gRPC ext_authz address. */
  readonly grpc?: ExtAuthzClient;
  logs(): string;
  /** The revision of the active bundle, or undefined while none is active. */
  revision(): Promise<string | undefined>;
  stop(): Promise<void>;
}

/**
 * Timings for a sidecar on this machine: a short long-poll and quick decision-log uploads, so a
 * run sees a new revision and its denials within seconds rather than a cluster's minutes.
 */
const LOCAL_TIMINGS = { longPollSeconds: 30, decisionLogDelaySeconds: 1, fallbackPollSeconds: [1, 2] } as const satisfies Partial<SidecarConfigOptions>;

/** One OPA process configured as the agent's sidecar (local timings unless given), on free ports. */
export async function startLocalSidecar(options: {
  readonly binary: string;
  /** Whether the binary is OPA with the Envoy plugin (opa-envoy-plugin). */
  readonly envoy: boolean;
  readonly config: Omit<SidecarConfigOptions, 'envoyPlugin'>;
  /** Labels added to the configuration's (sent with every status report and decision log). */
  readonly labels?: Readonly<Record<string, string>>;
}): Promise<LocalSidecar> {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-sidecar-'));
  let logs = '';
  let stopped = false;
  let attempts = 0;
  let state: { child: ChildProcess; restUrl: string; grpc?: ExtAuthzClient };
  // A free port can be taken by another process between our check and OPA's bind: if OPA exits
  // because its address is in use, it is started again on other ports.
  const launch = async (): Promise<void> => {
    attempts++;
    const restPort = await freePort();
    const grpcPort = options.envoy ? await freePort() : undefined;
    const config = opaSidecarConfig({ ...LOCAL_TIMINGS, ...options.config, envoyPlugin: grpcPort ? { addr: `127.0.0.1:${grpcPort}` } : false });
    if (options.labels) config.labels = { ...(config.labels as Record<string, string>), ...options.labels };
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(config));
    const child: ChildProcess = spawn(options.binary, ['run', '--server', '--addr', `127.0.0.1:${restPort}`, '--config-file', file, '--log-level', 'error'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (logs = (logs + d.toString()).slice(-20_000)));
    child.stderr!.on('data', (d: Buffer) => (logs = (logs + d.toString()).slice(-20_000)));
    child.once('exit', () => {
      if (!stopped && attempts < 5 && /address already in use/.test(logs)) {
        state.grpc?.close();
        void launch();
      }
    });
    state = { child, restUrl: `http://127.0.0.1:${restPort}`, ...(grpcPort ? { grpc: new ExtAuthzClient(`127.0.0.1:${grpcPort}`) } : {}) };
  };
  await launch();
  return {
    agent: options.config.agent,
    get restUrl() {
      return state.restUrl;
    },
    get grpc() {
      return state.grpc;
    },
    logs: () => logs,
    async revision() {
      try {
        const r = await fetch(`${state.restUrl}/v1/data/system/bundles/custody/manifest/revision`);
        return ((await r.json()) as { result?: string }).result;
      } catch {
        return undefined;
      }
    },
    async stop() {
      stopped = true;
      state.grpc?.close();
      const { child } = state;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A decision through OPA's query API with the clock fixed: how `verify --at` tests a time window. */
export async function decideAt(sidecar: LocalSidecar, input: unknown, atNs: bigint): Promise<boolean | undefined> {
  // time.now_ns is replaced for this query only (Rego's `with`); nanoseconds exceed JSON-safe integers, so the literal goes into the query text.
  const body = `{"query":"x := ${DECISION_REF} with time.now_ns as ${atNs.toString()}","input":${JSON.stringify(input)}}`;
  const r = await fetch(`${sidecar.restUrl}/v1/query`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const out = (await r.json()) as { result?: { x?: unknown }[] };
  const x = out.result?.[0]?.x;
  return typeof x === 'boolean' ? x : undefined;
}
