export { createAuthenticator, readStaticTokens, sha256Hex, type Authenticator, type Identity, type StaticTokens } from './auth.js';
export { LONG_POLL_CONTENT_TYPE, KEY_ID_HEADER, preferredWait } from './bundles-route.js';
export { Catalog, type CatalogEntry } from './catalog.js';
export { loadConfig, type ClusterIssuer, type ServerConfig, type SigningKeyConfig } from './config.js';
export { ConfigError, ServerError, ServerErrors, type ServerErrorCode } from './errors.js';
export { rolloutView, type RolloutAgent, type RolloutView } from './rollout.js';
export { GitSource, type Snapshot } from './source.js';
export { startServer, type Logger, type RunningServer } from './server.js';
export { DEV_KEY_ID, ensureDevState, type DevState } from './dev.js';
