export { renderAll, renderBundles, renderGenerated, RENDERERS, type Renderer, type RenderInputs, type Tree } from './render.js';
export { readTree, recoverTrees, staleEntries, writeTree, writeTrees, type StaleEntry, type TreeFs } from './tree-io.js';
export { compareKeys, sortedValue, stableJson } from '../core/json.js';
export { algorithmOf, KeysError, parseKeyFiles, parseKeys, parseRoots, readKeys, rootClusters, type KeySet, type RootCertificate } from './keys.js';
export { desiredTrees, packageVersion } from './desired.js';
