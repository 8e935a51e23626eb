/**
 * Commands around Git and pull requests: diff, commit, push, pr, comment.
 * One cohesive file: five thin commands over src/gitops, most of its lines their help texts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { terminalText } from '../core/text.js';
import { assertSecureTransport, pushBranch, resolveRemote, tokenFromEnv, TOKEN_VARIABLES } from '../git/index.js';
import { apiUrlFor, gitHubClient, repositoryFromUrl, upsertSummaryComment } from '../github/index.js';
import { commitRegenerated, proposeChange, summarizeRevisions } from '../gitops/index.js';
import { proofFailed, proofHeadline, render, type Proof, type SummaryFormat } from '../summary/index.js';
import { proofFromReport } from '../verify/index.js';
import { help, parse, type Command } from './commands.js';
import { CustodyError } from '../core/errors.js';
import { printError, UsageError } from './errors.js';
import { EXIT } from './io.js';
import { plural } from './workflows.js';

import { authorOptions, describeCommit, messageFrom, regeneration, repoName, repository } from './repository-options.js';
import { originForTrees } from './origin.js';
const diff: Command = {
  summary: 'summarise what a policy change allows or forbids, between two revisions',
  help: `Usage: custody diff --base REF [--head REF] [--json | --markdown] [--verify-report FILE]

The access-change summary between two revisions of the repository, read from Git without a
checkout: per workflow, the grants added ("vfx-2 may now POST /api/color to color, Mon–Fri
08:00–17:00 Europe/Paris"), removed ("may no longer") and changed (path, condition), with renamed
agents and workflows recognised; agents added, removed, moved and their attributes; per tree of
generated/ (generated/clusters/<cluster>/, the Argo CD and Flux wiring) the Kubernetes objects
added, changed and removed; and the policy bundles under bundles/ that changed.

A revision is a branch, tag, remote branch (origin/main), HEAD, or a commit id, each optionally
followed by ^, ^N or ~N (HEAD^1 is the base of a pull request's merge commit).

Options:
  --base REF     the revision before the change (required)
  --head REF     the revision after it (default HEAD)
  --markdown     Markdown, for a pull request
  --json         JSON, for programs
  --verify-report FILE
                 what custody verify --json wrote for the changed workflows: the summary opens
                 with it ("real OPA enforces exactly this spec: N triples checked", or the
                 mismatches); an empty FILE (verify stopped early) says the change is not proven
  -h, --help     this help

The changed files of bundles/ and generated/ are also checked against what the head's specs and
keys generate (custody generate --check, limited to them): a hand edit of a bundle or manifest,
or trees committed without their specs, enforce something the summary does not describe, and
are listed first. Changes to keys/ (the keys sidecars verify bundles with, the peers' mesh roots
in keys/roots/, the clusters' token keys in keys/jwks/) are listed with their fingerprints.

Exit codes: 0 printed, 1 the head revision has spec errors (its summary leaves those files out)
or changed generated files that are not what its specs generate (or that cannot be checked,
its specs or keys having errors), or the verify report shows mismatches or is empty, 2 usage error (e.g. an unknown revision), 3 the repository
cannot be read.
`,
  async run(args, io) {
    const { values } = parse(args, {
      base: { type: 'string' },
      head: { type: 'string' },
      json: { type: 'boolean' },
      markdown: { type: 'boolean' },
      'verify-report': { type: 'string' },
    });
    if (values.help) return help(io, this);
    if (!values.base) throw new UsageError('--base REF is required (e.g. --base main)');
    if (values.json && values.markdown) throw new UsageError('--json and --markdown exclude each other');
    const format: SummaryFormat = values.json ? 'json' : values.markdown ? 'markdown' : 'text';
    const proof = readProof(values['verify-report'], io.cwd);
    const repo = repository(io);
    const origin = await originForTrees(repo.dir);
    const result = await summarizeRevisions(repo, values.base!, values.head ?? 'HEAD', origin ? { repository: origin } : {});
    io.stdout.write(render(result.summary, format, { ...result, ...(proof ? { proof } : {}) }));
    const { notCompared, generated } = result.summary;
    // Findings rather than failures: the summary is printed, and the exit code says the head is not clean.
    const findings: CustodyError[] = [];
    if (notCompared.length)
      findings.push(
        new CustodyError('not-compared', 'invalid', `not compared, the spec has errors in one of the revisions: ${notCompared.join(', ')}`, {
          hint: 'custody check says why',
        }),
      );
    if (generated?.files.length)
      findings.push(
        new CustodyError(
          'generated-differs',
          'invalid',
          `${plural(generated.files.length, 'changed generated file')} not what the head's specs generate: ${generated.files.map((f) => f.path).join(', ')}`,
        ),
      );
    if (generated?.checked === false)
      findings.push(
        new CustodyError(
          'generated-unchecked',
          'invalid',
          `the changed generated files could not be checked against the head's specs: ${generated.reason ?? ''}`,
        ),
      );
    if (proof && proofFailed(proof))
      findings.push(new CustodyError('not-proven', 'invalid', proofHeadline(proof), { hint: 'custody verify lists each triple' }));
    const stderr = { write: (line: string) => io.stderr.write(terminalText(line)) };
    for (const f of findings) printError(stderr, 'diff', f);
    return findings.length ? EXIT.invalid : EXIT.ok;
  },
};

const commit: Command = {
  summary: 'regenerate and commit the changed files of bundles/ and generated/, with the summary',
  help: `Usage: custody commit [--author-name NAME --author-email EMAIL] [--message-file FILE] [--trees-only]

Regenerates exactly as custody generate does (same checks, same renderer, same atomic writes),
then commits with isomorphic-git the files that changed under bundles/ and generated/, and the
inputs they were rendered from when those changed too (the workflows/*.yaml specs and the
keys/*.pem, keys/active files): a commit whose trees were generated from uncommitted specs would
fail custody generate --check. Nothing else is staged or committed: other changes in the working
tree and in the index stay as they were, and git status shows no change to the committed paths.
Nothing changed: no commit.

The message is a headline and the access-change summary (plain text); --message-file replaces
the headline with your text, the summary follows it.

Options:
  --author-name NAME     author (default GIT_AUTHOR_NAME, then git config user.name)
  --author-email EMAIL   author e-mail (default GIT_AUTHOR_EMAIL, then git config user.email)
  --message-file FILE    the message's own text
  --trees-only           commit bundles/ and generated/ only; the specs and keys must be
                         committed already (else nothing is written, exit 2)
  -h, --help             this help

Exit codes: 0 committed (or nothing to commit), 1 spec or key errors (nothing written),
2 usage error, 3 the trees or the commit cannot be written.
`,
  async run(args, io) {
    const { values } = parse(args, {
      'author-name': { type: 'string' },
      'author-email': { type: 'string' },
      'message-file': { type: 'string' },
      'trees-only': { type: 'boolean' },
    });
    if (values.help) return help(io, this);
    const message = messageFrom(io, values['message-file']);
    const repo = repository(io);
    const regen = await regeneration(io, repo, 'commit');
    if (typeof regen === 'number') return regen;
    const result = await commitRegenerated({
      repo,
      trees: regen.trees,
      ...(regen.repository ? { treeRepository: regen.repository } : {}),
      inputs: regen.inputs,
      ...(values['trees-only'] ? { treesOnly: true } : { workflows: regen.workflows }),
      ...(message ? { message } : {}),
      author: authorOptions(values),
    });
    if (result.commit) io.stdout.write(render(result.summary, 'text'));
    io.stdout.write(describeCommit(result));
    return EXIT.ok;
  },
};

const push: Command = {
  summary: 'push a branch over HTTPS with a token from the environment',
  help: `Usage: custody push [--remote URL|NAME] [--branch BRANCH]

Pushes the local branch (default: the current one) to the branch of the same name on the remote,
over smart HTTP with isomorphic-git. The token comes from ${TOKEN_VARIABLES.join(', ')} (the first set),
sent only when the server asks for credentials, as the password of HTTP Basic authentication:
never in a URL, never printed. Remote URLs that carry credentials are refused; SSH remotes are
not supported (use the https URL).

A refusal is reported with a stable code and what to do, and the local commit is kept:
auth-failed (401), forbidden (403), remote-not-found, non-fast-forward (the remote branch has
commits you do not), push-rejected (a protected branch or a server hook), remote-unreachable.

Options:
  --remote URL|NAME   a remote's name or an https URL (default origin)
  --branch BRANCH     the local branch to push (default the current branch)
  -h, --help          this help

Exit codes: 0 pushed (or already there), 2 usage error, 3 the remote refused or failed.
`,
  async run(args, io) {
    const { values } = parse(args, { remote: { type: 'string' }, branch: { type: 'string' } });
    if (values.help) return help(io, this);
    const token = tokenFromEnv(process.env);
    const r = await pushBranch({
      repo: repository(io),
      ...(values.remote ? { remote: values.remote } : {}),
      ...(values.branch ? { branch: values.branch } : {}),
      ...(token ? { token } : {}),
    });
    io.stdout.write(
      r.upToDate
        ? `${r.remoteRef} on ${r.remote.url} is already at ${r.commit.slice(0, 12)}\n`
        : `pushed ${r.branch} to ${r.remoteRef} on ${r.remote.url}: ${r.previous ? `${r.previous.slice(0, 12)}..${r.commit.slice(0, 12)}` : `new branch at ${r.commit.slice(0, 12)}`}\n`,
    );
    return EXIT.ok;
  },
};

const pr: Command = {
  summary: 'commit, push and open or update the pull request with the access-change summary',
  help: `Usage: custody pr [--base BRANCH] [--branch BRANCH] [--repo OWNER/NAME] [--api-url URL]
                 [--remote URL|NAME] [--title TITLE] [--author-name NAME --author-email EMAIL]
                 [--message-file FILE]

Regenerates and commits as custody commit does, on the head branch: the current branch, or when
you are on the base branch (or a detached HEAD) a new branch custody/<workflow> (the workflow
whose spec you changed; custody/policy-update for several), which HEAD then moves to. Pushes it
as custody push does, then opens a pull request into the base branch whose description carries
the access-change summary (Markdown, between <!-- custody-summary:start/end --> markers), or, if
one is open for this head branch (GitHub answers 422 "A pull request already exists"), replaces
the summary in its description and leaves the rest of it alone; and creates or updates one
summary comment (found by <!-- custody-summary -->). Running it again gives the same pull
request with the latest summary. The summary compares the head with its merge base with
<remote>/<base> as last fetched (or the local base branch).

The token (${TOKEN_VARIABLES.join(', ')}, the first set) is used for the push and for the API; it
needs contents: write and pull-requests: write.

Options:
  --base BRANCH       the branch to merge into (default main)
  --branch BRANCH     the head branch (default as above)
  --repo OWNER/NAME   the GitHub repository (default GITHUB_REPOSITORY, then the remote's URL)
  --api-url URL       the API root (default GITHUB_API_URL, then https://api.github.com for
                      github.com remotes and https://HOST/api/v3, GitHub Enterprise Server, for others)
  --remote URL|NAME   the remote (default origin)
  --title TITLE       the title of a new pull request (default a headline of the summary)
  --author-name, --author-email, --message-file   as for custody commit
  -h, --help          this help

Exit codes: 0 pull request opened or updated, 1 spec or key errors, 2 usage error, 3 the remote or
GitHub refused (the local commit is kept; run the command again once fixed).
`,
  async run(args, io) {
    const { values } = parse(args, {
      base: { type: 'string' },
      branch: { type: 'string' },
      repo: { type: 'string' },
      'api-url': { type: 'string' },
      remote: { type: 'string' },
      title: { type: 'string' },
      'author-name': { type: 'string' },
      'author-email': { type: 'string' },
      'message-file': { type: 'string' },
    });
    if (values.help) return help(io, this);
    const message = messageFrom(io, values['message-file']);
    const named = repoName(values.repo ?? process.env.GITHUB_REPOSITORY);
    const repo = repository(io);
    const regen = await regeneration(io, repo, 'pr');
    if (typeof regen === 'number') return regen;
    const token = tokenFromEnv(process.env);
    const apiUrl = values['api-url'] ?? process.env.GITHUB_API_URL;
    const r = await proposeChange({
      repo,
      trees: regen.trees,
      inputs: regen.inputs,
      workflows: regen.workflows,
      author: authorOptions(values),
      ...(message ? { message } : {}),
      ...(values.base ? { base: values.base } : {}),
      ...(values.branch ? { branch: values.branch } : {}),
      ...(values.remote ? { remote: values.remote } : {}),
      ...(token ? { token } : {}),
      ...(named ? { repository: named } : {}),
      ...(apiUrl ? { apiUrl } : { apiUrl: apiUrlFor((await resolveRemote(repo, values.remote)).url) }),
      ...(values.title ? { title: values.title } : {}),
    });
    if (r.branchCreated) io.stdout.write(`created branch ${r.branch} (HEAD is on it now)\n`);
    io.stdout.write(describeCommit(r.regenerated));
    io.stdout.write(
      r.push.upToDate
        ? `${r.push.remoteRef} on ${r.push.remote.url} is already at ${r.push.commit.slice(0, 12)}\n`
        : `pushed ${r.branch} to ${r.push.remote.url}\n`,
    );
    io.stdout.write(render(r.summary, 'text', r));
    io.stdout.write(`pull request #${r.pullRequest.number} ${r.pullRequest.created ? 'opened' : 'updated'}: ${r.pullRequest.url}\n`);
    io.stdout.write(`summary comment ${r.comment.created ? 'added' : 'updated'}: ${r.comment.url}\n`);
    return EXIT.ok;
  },
};

const comment: Command = {
  summary: 'post or update the access-change summary as a pull request comment (for CI)',
  help: `Usage: custody comment --pr NUMBER --base REF [--head REF] [--repo OWNER/NAME] [--api-url URL]
                       [--verify-report FILE]

Computes the summary as custody diff --markdown does and writes it as one comment on the pull
request, updated in place on every run (found by <!-- custody-summary -->). For CI: in a
pull_request job on the merge commit, --base HEAD^1 --head HEAD is exactly what the pull request
changes. The token comes from ${TOKEN_VARIABLES.join(', ')} (pull-requests: write).

Options:
  --pr NUMBER         the pull request
  --base REF          the revision before the change (required)
  --head REF          the revision after it (default HEAD)
  --repo OWNER/NAME   default GITHUB_REPOSITORY, then the origin remote's URL
  --api-url URL       default GITHUB_API_URL, then https://api.github.com
  --verify-report FILE  custody verify --json's report for the changed workflows, shown first
  -h, --help          this help

Exit codes: 0 written, 2 usage error, 3 GitHub refused or failed.
`,
  async run(args, io) {
    const { values } = parse(args, {
      pr: { type: 'string' },
      base: { type: 'string' },
      head: { type: 'string' },
      repo: { type: 'string' },
      'api-url': { type: 'string' },
      'verify-report': { type: 'string' },
    });
    if (values.help) return help(io, this);
    if (!values.pr || !/^[1-9]\d*$/.test(values.pr)) throw new UsageError('--pr NUMBER is required (the pull request number)');
    if (!values.base) throw new UsageError('--base REF is required (e.g. --base HEAD^1)');
    let named = repoName(values.repo ?? process.env.GITHUB_REPOSITORY);
    const repo = repository(io);
    if (!named) {
      named = repositoryFromUrl((await resolveRemote(repo)).url);
      if (!named) throw new UsageError('cannot tell the GitHub repository: pass --repo OWNER/NAME');
    }
    const proof = readProof(values['verify-report'], io.cwd);
    const origin = await originForTrees(repo.dir);
    const result = await summarizeRevisions(repo, values.base!, values.head ?? 'HEAD', origin ? { repository: origin } : {});
    const token = tokenFromEnv(process.env);
    const apiUrl = values['api-url'] ?? process.env.GITHUB_API_URL ?? 'https://api.github.com';
    assertSecureTransport(apiUrl, token, 'the API root');
    const octokit = gitHubClient({ ...(token ? { token } : {}), apiUrl });
    const body = render(result.summary, 'markdown', { ...result, ...(proof ? { proof } : {}) });
    const c = await upsertSummaryComment(octokit, { ...named, number: Number(values.pr) }, body);
    io.stdout.write(`summary comment ${c.created ? 'added' : 'updated'}: ${c.url}\n`);
    return EXIT.ok;
  },
};

/** The proof of `--verify-report FILE`, read before any other work so that a wrong path fails at once. */
function readProof(file: string | undefined, cwd: string): Proof | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new UsageError(`--verify-report ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      hint: 'give the file custody verify --json wrote',
    });
  }
  return proofFromReport(text, file);
}

export const GITOPS_COMMANDS: Readonly<Record<string, Command>> = { diff, commit, push, pr, comment };
