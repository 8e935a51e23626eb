export { commitRegenerated, summarizePlan, type RegenerateOptions, type RegenerateResult } from './regenerate.js';
export { defaultBranchName, proposeChange, type ProposeOptions, type ProposeResult } from './propose.js';
export { sideOf, summarizeCommits, summarizeRevisions, type RevisionSummary, type SummaryOptions } from './revision-summary.js';
export { checkGenerated } from './generated-check.js';
export { COMMIT_HINT, describeHead, requireCommitted, specPathOf, uncommittedChanges, type Uncommitted, type UncommittedItem } from './uncommitted.js';
