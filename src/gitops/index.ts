export { GITOPS_ERRORS, GitopsError, type GitopsErrorCode, type GitopsErrorKind } from '../git/index.js';
export {
  isEmpty, summarize,
  type AccessChange, type AccessChangeKind, type AgentChange, type AgentChangeKind, type BundleChange, type ChangeSummary,
  type DiffSide, type GeneratedCheck, type ManifestTreeChange, type ObjectChange, type SettingChange, type WorkflowChange,
} from '../summary/index.js';
export { terminalText } from '../core/text.js';
export { headline, render, SUMMARY_END, SUMMARY_START, type RenderOptions, type RevisionLabel, type SummaryFormat } from '../summary/index.js';
export { openRepository, currentBranch, headCommit, type Fs, type Repository } from '../git/index.js';
export { resolveRevision, differingFiles, workflowInputsAt } from '../git/index.js';
export { summarizeCommits, summarizeRevisions, type RevisionSummary } from './revision-summary.js';
export { compareKeyFiles, keyInfo, type KeyChanges, type KeyFiles, type KeyInfo } from '../summary/index.js';
export { INPUTS, readInputFolders, type InputFolder, type InputSelection } from '../git/index.js';
export { planCommit, writeCommit, type CommitPlan, type CommitResult, type CommitWriteOptions, type FileChange } from '../git/index.js';
export { parseGitDate, resolvePeople, type AuthorOptions, type Person } from '../git/index.js';
export { commitRegenerated, summarizePlan, type RegenerateOptions, type RegenerateResult } from './regenerate.js';
export { assertSecureTransport, pushBranch, resolveRemote, tokenFromEnv, TOKEN_VARIABLES, type PushOptions, type PushResult, type Remote, type Token } from '../git/index.js';
export {
  apiUrlFor, COMMENT_MARKER, gitHubClient, parseRepositoryName, repositoryFromUrl, upsertPullRequest, upsertSummaryComment, withSummary,
  type CommentResult, type PullRequestResult, type PullRequestSpec, type RepositoryName, type GitHubOptions,
} from '../github/index.js';
export { defaultBranchName, proposeChange, type ProposeOptions, type ProposeResult } from './propose.js';
