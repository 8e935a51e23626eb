export {
  BUNDLES_DIR,
  GENERATED_DIR,
  GENERATED_ROOTS,
  isKeyFile,
  isKeyInput,
  isWorkflowFile,
  isWorkflowInput,
  KEY_JWKS_DIR,
  KEY_ROOTS_DIR,
  KEY_SUBFOLDERS,
  KEYS_DIR,
  WORKFLOWS_DIR,
} from './layout.js';
export { DECISION_PATH, DECISION_REF } from './decision.js';
export { isKeyId, KEY_ID_RULE } from './key-id.js';
export {
  bundleResource,
  BUNDLES_URL_PREFIX,
  KEY_ID_HEADER,
  MESH_SERVER_URL,
  parseBundlePath,
  SERVER_HOST,
  SERVER_NAME,
  SERVER_PORT,
  SYSTEM_NAMESPACE,
  TOKEN_AUDIENCE,
  VERIFY_LABEL,
} from './bundle-server.js';
export { SERVER_CONFIG_FIELDS, SERVER_ENV, type ClusterIssuer, type ServerConfigFile, type SigningKeyConfig } from './server-config.js';
