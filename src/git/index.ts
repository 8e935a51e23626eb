export { GITOPS_ERRORS, GitopsError, type GitopsErrorCode, type GitopsErrorKind } from './errors.js';
export { INPUTS, type InputSelection } from './layout.js';
export { currentBranch, gitArgs, headCommit, isNotFound, openRepository, type Fs, type Repository } from './repository.js';
export { resolveRevision } from './revision.js';
export { differingFiles, keyFilesAt, readText, workflowInputsAt } from './trees.js';
export { readInputFolders, type InputFolder } from './inputs.js';
export { planCommit, type CommitPlan, type FileChange } from './commit-plan.js';
export { writeCommit, type CommitResult, type CommitWriteOptions } from './commit.js';
export { parseGitDate, resolvePeople, type AuthorOptions, type Person } from './author.js';
export { baseCommit, mergeBaseOf, switchBack, switchTo } from './branch.js';
export {
  assertSecureTransport,
  isUrlLike,
  originRepositoryUrl,
  resolveRemote,
  tokenFromEnv,
  TOKEN_VARIABLES,
  treeRepositoryUrl,
  type Remote,
  type Token,
} from './remote.js';
export { pushBranch, type PushOptions, type PushResult } from './push.js';
export { gitHttp } from './http.js';
export { workingTreeChanges, type WorkingFolder } from './working-tree.js';
