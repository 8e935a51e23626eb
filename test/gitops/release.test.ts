/**
 * The bundle server image and its release, checked statically (no container engine runs here):
 * the Dockerfile's stages, base pins, user and entrypoint; that the generated Deployment matches
 * them; the release workflow's shape; and actionlint over every workflow recipe.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { repoPath } from '../helpers/paths.js';

const run = promisify(execFile);

/** The Dockerfile's instructions: continuation lines joined, comments and blank lines dropped. */
function instructions(text: string): { op: string; args: string }[] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l)!;
      return { op: m[1]!.toUpperCase(), args: m[2]! };
    });
}

const dockerfile = instructions(readFileSync(repoPath('Dockerfile'), 'utf8'));
const stages = dockerfile.reduce<{ op: string; args: string }[][]>((acc, i) => (i.op === 'FROM' ? [...acc, [i]] : (acc[acc.length - 1]!.push(i), acc)), []);
const runtime = stages[stages.length - 1]!;

test('the Dockerfile: two stages, each base pinned to a Node version, non-root numeric user, custody serve as entrypoint', () => {
  assert.is(stages.length, 2);
  for (const s of stages) assert.match(s[0]!.args, /^node:20\.\d+\.\d+-bookworm-slim( AS build)?$/, s[0]!.args);
  assert.equal(
    runtime.filter((i) => i.op === 'USER').map((i) => i.args),
    ['10001:10001'],
  );
  assert.equal(
    runtime.filter((i) => i.op === 'ENTRYPOINT').map((i) => JSON.parse(i.args)),
    [['node', '/app/bin/custody.js', 'serve']],
  );
  // Nothing runs in the runtime stage: it only copies the build stage's output and the launcher.
  assert.equal(
    runtime.filter((i) => i.op === 'RUN'),
    [],
  );
  assert.ok(
    stages[0]!.some((i) => i.op === 'RUN' && i.args.includes('npm prune --omit=dev')),
    'only production dependencies reach the runtime stage',
  );
});

test('what the Dockerfile copies from the context is what .dockerignore lets in', () => {
  const allowed = readFileSync(repoPath('.dockerignore'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('!'))
    .map((l) => l.slice(1).replace(/\/$/, ''));
  const copied = dockerfile.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from')).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  assert.equal(copied.sort(), ['bin', 'package-lock.json', 'package.json', 'src', 'tsconfig.build.json', 'tsconfig.json']);
  for (const c of copied) assert.ok(allowed.includes(c), `${c} is ignored by .dockerignore`);
  for (const c of copied) assert.ok(existsSync(repoPath(c)), c);
});

test('the generated Deployment runs the image as its Dockerfile says: only options as args, the same user, a read-only root filesystem', () => {
  const deployment = parse(readFileSync(repoPath('generated', 'clusters', 'studio-central', 'custody-system', 'deployment.yaml'), 'utf8')) as {
    spec: {
      template: {
        spec: {
          securityContext: { runAsUser: number; runAsGroup: number };
          containers: { args: string[]; securityContext: { readOnlyRootFilesystem: boolean } }[];
        };
      };
    };
  };
  const pod = deployment.spec.template.spec;
  assert.equal(pod.containers[0]!.args, ['--config', '/etc/custody/config/config.yaml']);
  assert.equal([pod.securityContext.runAsUser, pod.securityContext.runAsGroup], [10001, 10001]);
  assert.is(pod.containers[0]!.securityContext.readOnlyRootFilesystem, true);
});

test('the release workflow: on a version tag, checks the tag against package.json, pushes the image the manifests reference', () => {
  const recipe = parse(readFileSync(repoPath('.github', 'workflows', 'release.yml'), 'utf8')) as {
    on: { push: { tags: string[] } };
    permissions: Record<string, string>;
    jobs: { image: { steps: { uses?: string; run?: string; with?: Record<string, unknown> }[] } };
  };
  assert.equal(recipe.on, { push: { tags: ['v*.*.*'] } });
  assert.equal(recipe.permissions, { contents: 'read', packages: 'write' });
  const steps = recipe.jobs.image.steps;
  assert.ok(
    steps.some((s) => s.run?.includes('"$TAG" != "v$version"')),
    'the tag is compared with the package version',
  );
  const push = steps.find((s) => s.uses?.startsWith('docker/build-push-action@'))!;
  assert.equal([push.with!.push, push.with!.tags], [true, 'ghcr.io/custody-dev/custody:${{ env.VERSION }}']);
});

test('actionlint passes on every workflow recipe', async () => {
  const bin = process.env.ACTIONLINT_BIN ?? repoPath('.tools', 'bin', 'actionlint');
  assert.ok(existsSync(bin), `actionlint is needed at ${bin}: run npm run tools (or set ACTIONLINT_BIN)`);
  const recipes = readdirSync(repoPath('.github', 'workflows'))
    .filter((f) => f.endsWith('.yml'))
    .sort();
  assert.equal(recipes, ['custody.yml', 'release.yml']);
  const r = await run(
    bin,
    recipes.map((f) => repoPath('.github', 'workflows', f)),
  ).then(
    () => ({ code: 0, out: '' }),
    (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
  );
  assert.is(r.code, 0, r.out);
});

test.run();
