/** A real OPA process configured as an agent's sidecar, pulling its bundle from a bundle server. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { opaSidecarConfig } from '../../src/policy/index.js';
import { freePort } from '../../src/verify/index.js';

export { freePort };
import { opaBinary } from './opa.js';

export interface SidecarOptions {
  readonly serverUrl: string;
  readonly workflow: string;
  readonly agent: string;
  readonly token: string;
  readonly keyId: string;
  readonly publicKeyPem: string;
  readonly algorithm?: string;
  readonly longPollSeconds?: number;
  /** Default the plain `opa`; e.g. the opa-envoy-plugin build the deployed image carries. */
  readonly binary?: string;
}

export interface Sidecar {
  readonly url: string;
  readonly logs: () => string;
  /** The bundle revision OPA has activated, if any. */
  revision(): Promise<string | undefined>;
  decide(input: unknown): Promise<boolean>;
  stop(): Promise<void>;
}

/** The configuration the generated sidecars carry (`opaSidecarConfig`), pointed at a test server, with short delays. */
export function sidecarConfig(o: SidecarOptions & { tokenFile: string }) {
  return opaSidecarConfig({
    bundleServerUrl: o.serverUrl,
    workflow: o.workflow,
    agent: o.agent,
    keyId: o.keyId,
    keys: [{ id: o.keyId, algorithm: o.algorithm ?? 'RS256', publicKeyPem: o.publicKeyPem }],
    tokenPath: o.tokenFile,
    longPollSeconds: o.longPollSeconds ?? 30,
    fallbackPollSeconds: [1, 2],
    decisionLogDelaySeconds: 1,
    envoyPlugin: false,
  });
}

export async function startSidecar(o: SidecarOptions): Promise<Sidecar> {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-sidecar-'));
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, `${o.token}\n`, { mode: 0o600 });
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(sidecarConfig({ ...o, tokenFile })));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    o.binary ?? opaBinary(),
    ['run', '--server', '--addr', `127.0.0.1:${port}`, '--config-file', configFile, '--log-level', 'info'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let logs = '';
  child.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
  const sidecar: Sidecar = {
    url,
    logs: () => logs,
    async revision() {
      try {
        const r = await fetch(`${url}/v1/data/system/bundles/custody/manifest/revision`);
        const body = (await r.json()) as { result?: string };
        return body.result;
      } catch {
        return undefined;
      }
    },
    async decide(input) {
      const r = await fetch(`${url}/v1/data/custody/authz/allow`, { method: 'POST', body: JSON.stringify({ input }) });
      return ((await r.json()) as { result?: boolean }).result === true;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
  return sidecar;
}

/** Polls `probe` until it returns a value that `done` accepts, or fails after `ms`. */
export async function eventually<T>(probe: () => Promise<T>, done: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T;
  do {
    last = await probe();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  } while (Date.now() < deadline);
  throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
}
