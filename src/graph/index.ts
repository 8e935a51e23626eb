export { workflowGraph, visible, type FlowState, type GraphAgent, type GraphBox, type GraphFlow, type GraphOptions, type WorkflowGraph } from './model.js';
export { toMermaid, mermaidText } from './mermaid.js';
export { toDot, dotText } from './dot.js';
export { dotToSvg } from './svg.js';
export { GRAPH_FORMATS, pictures, renderGraph, type GraphFormat } from './render.js';
export { changeDiagram, type FlowChange } from './change.js';
