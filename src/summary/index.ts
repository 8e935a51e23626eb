export type {
  AccessChange,
  AccessChangeKind,
  AgentChange,
  AgentChangeKind,
  BundleChange,
  ChangeSummary,
  DiffSide,
  GeneratedCheck,
  ManifestTreeChange,
  ObjectChange,
  SettingChange,
  WorkflowChange,
} from './model.js';
export { isEmpty, summarize } from './summarize.js';
export { headline, render, SUMMARY_END, SUMMARY_START, type RenderOptions, type RevisionLabel, type SummaryFormat } from './render.js';
export { proofFailed, proofHeadline, type Proof, type ProofMismatch, type ProofWorkflow } from './proof.js';
export { keyInfo, type KeyChanges, type KeyFiles, type KeyInfo } from './key-changes.js';
export { rootInfo, tokenKeyInfo, type RootChange, type RootInfo, type TokenKeyInfo, type TokenKeysChange, type TrustChanges } from './trust-changes.js';
