/**
 * The real tools on the written trees: `kustomize build` succeeds on every cluster, Argo CD and Flux
 * folder, and kube-score (the linter; kube-linter cannot be installed here, see docs/gitops.md)
 * finds nothing but the exceptions docs/gitops.md lists with their reasons.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { exampleWorkflows, loadOne } from '../helpers/workflows.js';
import { exampleInputs, kustomizeBuild, run, tool, writeRendered } from './helpers.js';
import { VARIANT } from './variant.js';

/** kube-score checks that do not apply to Custody's design, each with the reason (docs/gitops.md). */
export const LINT_EXCEPTIONS: Readonly<Record<string, string>> = {
  'deployment-replicas': 'an agent is one pod that owns a ReadWriteOnce volume; the bundle server keeps its rollout view in memory',
  'deployment-strategy': 'an agent Deployment uses Recreate: a rolling update would start a second pod on a volume the first one holds',
};

interface ScoreCheck {
  check: { id: string; name: string };
  grade: number;
  skipped: boolean;
  comments: { summary: string; description: string }[] | null;
}
interface ScoredObject {
  object_name: string;
  checks: ScoreCheck[];
}

async function lint(file: string): Promise<string[]> {
  const args = [
    'score',
    '--output-format',
    'json',
    '--kubernetes-version',
    'v1.30',
    '--enable-optional-test',
    'container-seccomp-profile',
    ...Object.keys(LINT_EXCEPTIONS).flatMap((t) => ['--ignore-test', t]),
    file,
  ];
  // kube-score exits 1 when it finds something: the JSON says what.
  const { stdout } = await run(tool('kube-score'), args, { maxBuffer: 64 * 1024 * 1024 }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const scored = JSON.parse(stdout) as ScoredObject[];
  assert.ok(scored.length > 0, `kube-score scored nothing in ${file}`);
  return scored.flatMap((o) =>
    o.checks.filter((c) => !c.skipped && c.grade < 10).map((c) => `${o.object_name}: ${c.check.id}: ${(c.comments ?? []).map((m) => m.summary).join('; ')}`),
  );
}

async function checkTree(root: string, expectClusters: string[]) {
  const clusters = readdirSync(path.join(root, 'clusters')).sort();
  assert.equal(clusters, expectClusters);
  for (const group of ['clusters', 'argocd', 'flux']) assert.equal(readdirSync(path.join(root, group)).sort(), clusters, `${group}/ has a folder per cluster`);
  for (const cluster of clusters) {
    const built = await kustomizeBuild(path.join(root, 'clusters', cluster));
    const docs = parseAllDocuments(built).map((d) => d.toJS() as { kind: string });
    assert.ok(
      docs.some((d) => d.kind === 'Deployment'),
      `${cluster} runs something`,
    );
    for (const dir of readdirSync(path.join(root, 'clusters', cluster), { withFileTypes: true }).filter((e) => e.isDirectory())) {
      await kustomizeBuild(path.join(root, 'clusters', cluster, dir.name));
    }
    const argo = parseAllDocuments(await kustomizeBuild(path.join(root, 'argocd', cluster))).map((d) => d.toJS() as { kind: string });
    assert.ok(argo.some((d) => d.kind === 'Application') && argo.some((d) => d.kind === 'AppProject'));
    const flux = parseAllDocuments(await kustomizeBuild(path.join(root, 'flux', cluster))).map((d) => d.toJS() as { kind: string });
    assert.equal(flux.map((d) => d.kind).sort(), ['GitRepository', 'Kustomization']);
    const file = path.join(root, `..`, `${cluster}.yaml`);
    writeFileSync(file, built);
    assert.equal(await lint(file), [], `kube-score on ${cluster}`);
  }
}

test('kustomize builds every tree of the examples and kube-score finds nothing', async () => {
  const root = await writeRendered(exampleWorkflows(), await exampleInputs());
  await checkTree(root, ['color-central', 'hdr-west', 'shared-eu', 'site-boston', 'sound-west', 'sponsor-prod', 'studio-central', 'vfx-central']);
});

test('kustomize and kube-score on the variant (no CNI, external bundle server, shared cluster)', async () => {
  const root = await writeRendered(loadOne(VARIANT).workflows, await exampleInputs());
  await checkTree(root, ['lab-main', 'remote-east']);
});

test('kube-score is live: it reports a hardening gap', async () => {
  const root = await writeRendered(exampleWorkflows(), await exampleInputs());
  const file = path.join(root, '..', 'weak.yaml');
  const built = await kustomizeBuild(path.join(root, 'clusters', 'hdr-west'));
  writeFileSync(file, built.replace(/readOnlyRootFilesystem: true/g, 'readOnlyRootFilesystem: false'));
  assert.ok((await lint(file)).some((f) => f.includes('container-security-context-readonlyrootfilesystem')));
});

test.run();
