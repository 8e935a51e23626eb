export { renderAll, renderBundles, renderGenerated, RENDERERS, type Renderer, type RenderInputs, type Tree } from './render.js';
export { leftoverFolders, readTree, recoverTrees, staleEntries, writeTree, writeTrees, type StaleEntry, type TreeFs } from './tree-io.js';
export { compareKeys, sortedValue, stableJson } from '../core/json.js';
export { desiredTrees, packageVersion } from './desired.js';
