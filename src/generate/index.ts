export { renderAll, renderBundles, RENDERERS, type Renderer, type Tree } from './render.js';
export { readTree, staleEntries, writeTree, type StaleEntry, type TreeFs } from './tree-io.js';
export { compareKeys, sortedValue, stableJson } from './json.js';
