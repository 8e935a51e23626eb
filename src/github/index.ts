export {
  apiUrlFor, COMMENT_MARKER, gitHubClient, parseRepositoryName, repositoryFromUrl, upsertPullRequest, upsertSummaryComment, withSummary,
  type CommentResult, type GitHubOptions, type PullRequestResult, type PullRequestSpec, type RepositoryName,
} from './github.js';
