/**
 * SVG from DOT, without a browser: Graphviz compiled to WebAssembly (`@hpcc-js/wasm-graphviz`).
 * Graphviz because its `dot` layout is the reference for layered, clustered graphs (boxes inside
 * boxes, labelled arrows), it is deterministic (no random seeds, no font measurement from the
 * machine: the WebAssembly build estimates text widths from built-in metrics), and the same
 * engine draws the DOT output a reader may render themselves.
 */
import type { Graphviz } from '@hpcc-js/wasm-graphviz';

let loaded: Promise<Graphviz> | undefined;

export async function dotToSvg(dot: string): Promise<string> {
  // Loaded on first use: the module carries the WebAssembly inline, which every other command
  // would otherwise parse at start-up for nothing.
  loaded ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load());
  const graphviz = await loaded;
  return graphviz.dot(dot, 'svg');
}
