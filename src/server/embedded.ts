/**
 * The embedded default: the bundle server on this clone's bundles, signing with the development
 * key, sidecars authenticated by the development tokens. `custody serve` runs it without a
 * configuration; `custody verify` and `custody demo` start it on a free port for their run.
 */
import { loadConfig, type ServerConfig } from './config.js';
import { DEV_KEY_ID, ensureDevState, publicKeyPemOf, type DevState } from './dev.js';
import { startServer, type Logger, type RunningServer } from './server.js';

export interface EmbeddedDefault {
  readonly config: ServerConfig;
  readonly dev: DevState;
}

/** Makes the development key and tokens when missing; `overrides` are settings as on the command line. */
export function embeddedDefault(repository: string, overrides: Partial<Record<keyof ServerConfig, unknown>> = {}): EmbeddedDefault {
  const dev = ensureDevState(repository);
  const config = loadConfig({
    env: {},
    cwd: repository,
    overrides: { repository, signingKeys: [{ id: DEV_KEY_ID, file: dev.signingKeyFile }], tokensFile: dev.tokensFile, ...overrides },
  });
  return { config, dev };
}

export interface EmbeddedServer extends EmbeddedDefault {
  readonly server: RunningServer;
  readonly keyId: string;
  /** What a sidecar verifies the served bundles with. */
  readonly publicKeyPem: string;
}

/** The embedded default on a free port of 127.0.0.1, for the length of one command. */
export async function startEmbeddedServer(repository: string, logger: Logger): Promise<EmbeddedServer> {
  const embedded = embeddedDefault(repository, { port: 0 });
  const server = await startServer(embedded.config, { logger });
  return { ...embedded, server, keyId: DEV_KEY_ID, publicKeyPem: publicKeyPemOf(embedded.dev.signingKeyFile) };
}
