/**
 * What each organisation may see. A cluster's tree (generated/clusters/<c>/, generated/argocd/<c>/,
 * generated/flux/<c>/) is handed to the organisation running that cluster, and an agent's bundle
 * to its sidecar: each may hold only what that cluster or agent needs (its own agents, its flows'
 * peers, its own and the owner's repository and server). Inferring another company's business
 * process from a name, a host or an identity is itself a leak. The needed set is worked out here
 * from the specs alone, not with the renderer under test; a few clusters' lists are also written
 * out literally.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { desiredTrees } from '../../src/generate/index.js';
import { readKeys } from '../../src/keys/index.js';
import { loadWorkflows, type Workflow } from '../../src/workflow/index.js';
import { repoPath } from '../helpers/paths.js';

const FILES = ['workflows/clinical-trial-analysis.yaml', 'workflows/movie-post-production.yaml', 'test/fixtures/confidentiality/bank-audit.yaml'];

function load(files: readonly string[]): Workflow[] {
  const r = loadWorkflows(files.map((file) => ({ file, text: readFileSync(repoPath(file), 'utf8') })));
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(JSON.stringify(errors));
  return [...r.workflows];
}

const all = load(FILES);
const examples = load(FILES.slice(0, 2));
const keys = await readKeys(repoPath('keys'));
const [bundles, generated] = desiredTrees(all, keys) as [ReturnType<typeof desiredTrees>[0], ReturnType<typeof desiredTrees>[0]];
const [, examplesGenerated] = desiredTrees(examples, keys);

/** Names and identities a spec gives, each with the kind it is reported as. */
type Kind = 'workflow' | 'cluster' | 'actor' | 'agent' | 'image' | 'principal' | 'host' | 'url' | 'trust domain';
type Facts = Map<string, Kind>;

const clusterOf = (w: Workflow, agent: string) => w.actors.find((a) => a.agents.includes(agent))!.cluster;
const ownerCluster = (w: Workflow) => w.actors.find((a) => a.name === w.owner)!.cluster;

function addCluster(out: Facts, c: Workflow['actors'][number]['cluster']): void {
  out.set(c.name, 'cluster');
  out.set(c.trustDomain, 'trust domain');
  for (const url of [c.server, c.repository, c.tokenIssuer, c.tokenJwksUrl]) if (url) out.set(url, 'url');
}

function addAgent(out: Facts, w: Workflow, name: string): void {
  const agent = w.agents.find((a) => a.name === name)!;
  out.set(name, 'agent');
  out.set(agent.actor, 'actor');
  out.set(agent.image, 'image');
  out.set(agent.principal.replace(/^spiffe:\/\//, ''), 'principal');
  out.set(`${name}.${w.name}.svc.cluster.local`, 'host');
  addCluster(out, clusterOf(w, name));
}

/** Everything any of the specs names. */
function universe(workflows: readonly Workflow[]): Facts {
  const out: Facts = new Map();
  for (const w of workflows) {
    out.set(w.name, 'workflow');
    for (const a of w.agents) addAgent(out, w, a.name);
  }
  return out;
}

/**
 * What cluster `name` needs: of each workflow with agents there, the workflow's name and owner,
 * its own agents, their flows' peers and the owner's cluster and bundle server (its identity); of a workflow
 * whose owner runs there, everything (the owner sees its whole workflow).
 */
function needed(workflows: readonly Workflow[], name: string): Facts {
  const out: Facts = new Map();
  for (const w of workflows) {
    const here = w.agents.filter((a) => clusterOf(w, a.name).name === name).map((a) => a.name);
    if (here.length === 0) continue;
    out.set(w.name, 'workflow');
    out.set(w.owner, 'actor');
    addCluster(out, ownerCluster(w));
    // The owner's bundle server, whose identity a cluster fetching through the mesh pins.
    out.set(`${ownerCluster(w).trustDomain}/ns/custody-system/sa/custody-bundle-server`, 'principal');
    // Its per-owner host (the owner's cluster name, which the tree holds anyway), and the sidecars' URL there.
    out.set(`custody-bundle-server-${ownerCluster(w).name}.custody-system.svc.cluster.local`, 'host');
    out.set(`http://custody-bundle-server-${ownerCluster(w).name}.custody-system.svc.cluster.local:8080`, 'url');
    if (ownerCluster(w).name === name) {
      for (const a of w.agents) addAgent(out, w, a.name);
      continue;
    }
    for (const a of here) addAgent(out, w, a);
    for (const f of w.flows) {
      if (here.includes(f.from)) addAgent(out, w, f.to);
      if (here.includes(f.to)) addAgent(out, w, f.from);
    }
  }
  return out;
}

const CLUSTERS = [...new Set(all.flatMap((w) => w.actors.map((a) => a.cluster.name)))].sort();

function treeOf(files: ReadonlyMap<string, string>, cluster: string): Map<string, string> {
  return new Map([...files].filter(([p]) => p.startsWith(`clusters/${cluster}/`) || p.startsWith(`argocd/${cluster}/`) || p.startsWith(`flux/${cluster}/`)));
}

const word = (s: string) => new RegExp(`(?<![A-Za-z0-9.-])${s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])`);

/**
 * Every name, host, URL, SPIFFE id, image and cluster name a tree holds: the specs' own where they
 * occur (an agent or actor name only where it is used as one: labels, principals, hosts, folders),
 * and whatever else looks like a URL, an identity, a cluster-local host or an image.
 */
function contents(files: ReadonlyMap<string, string>, facts: Facts): Map<string, Kind | 'other'> {
  const found = new Map<string, Kind | 'other'>();
  for (const [file, text] of files) {
    for (const [token, kind] of facts) {
      if (kind === 'agent' || kind === 'actor') continue;
      if (word(token).test(text)) found.set(token, kind);
    }
    for (const m of text.matchAll(/custody\.dev\/(agent|actor): ([a-z0-9-]+)/g)) found.set(m[2]!, facts.get(m[2]!) ?? 'other');
    for (const m of text.matchAll(/actors here: ([^\n]+)/g))
      for (const a of m[1]!.matchAll(/([a-z0-9-]+) \(workflow/g)) found.set(a[1]!, facts.get(a[1]!) ?? 'other');
    for (const part of file.split('/').slice(2, -1)) if (facts.get(part) === 'agent') found.set(part, 'agent');
    for (const m of text.matchAll(/\b(?:https?|ssh):\/\/[^\s"'`)<>,]+/g)) if (!found.has(m[0])) found.set(m[0], facts.get(m[0]) ?? 'other');
    for (const m of text.matchAll(/([a-z0-9.-]+\/ns\/[a-z0-9-]+\/sa\/[a-z0-9-]+)/g)) found.set(m[1]!, facts.get(m[1]!) ?? 'other');
    for (const m of text.matchAll(/\b([a-z0-9-]+\.[a-z0-9-]+\.svc\.cluster\.local)\b/g)) found.set(m[1]!, facts.get(m[1]!) ?? 'other');
    for (const m of text.matchAll(/\bimage: "?([^\s"]+)/g)) found.set(m[1]!, facts.get(m[1]!) ?? 'other');
  }
  return found;
}

/** What every cluster may hold whatever its workflows: Custody's own names and images, and public hosts of the tools it documents. */
function generic(token: string): boolean {
  return (
    token === 'custody-bundle-server.custody-system.svc.cluster.local' ||
    token.startsWith('http://custody-bundle-server.custody-system.svc.cluster.local') ||
    token.startsWith('ghcr.io/custody-dev/custody:') ||
    token.startsWith('openpolicyagent/opa:') ||
    token === 'https://github.com/custody-dev/custody.git'
  );
}

test('each cluster tree holds only what that cluster needs: its agents, their peers, its own and the owner’s repository and server', () => {
  const facts = universe(all);
  const problems: string[] = [];
  for (const cluster of CLUSTERS) {
    const need = needed(all, cluster);
    for (const [token, kind] of contents(treeOf(generated.files, cluster), facts)) {
      if (need.has(token) || generic(token)) continue;
      problems.push(`${cluster}: ${kind} ${token}`);
    }
  }
  assert.equal(problems, []);
});

test('the clusters each tree names, written out: a contractor sees its peers, not the rest of the workflow', () => {
  const clusterNames = (cluster: string) =>
    [...contents(treeOf(generated.files, cluster), universe(all))]
      .filter(([, k]) => k === 'cluster')
      .map(([t]) => t)
      .sort();
  // The auditor pulls evidence from the ledger; it must not learn that a fraud vendor scores the bank's transactions.
  assert.equal(clusterNames('audit-eu'), ['audit-eu', 'bank-core']);
  assert.equal(clusterNames('fraud-vendor'), ['bank-core', 'fraud-vendor']);
  assert.equal(clusterNames('bank-core'), ['audit-eu', 'bank-core', 'fraud-vendor']);
  assert.equal(clusterNames('site-boston'), ['shared-eu', 'site-boston', 'sponsor-prod']);
  assert.equal(clusterNames('hdr-west'), ['color-central', 'hdr-west', 'studio-central']);
});

test("adding a workflow that shares no organisation changes no file of the other workflows' clusters", () => {
  const before = examplesGenerated!.files;
  for (const cluster of [...new Set(examples.flatMap((w) => w.actors.map((a) => a.cluster.name)))]) {
    const a = treeOf(before, cluster);
    const b = treeOf(generated.files, cluster);
    assert.equal([...b.keys()], [...a.keys()], cluster);
    for (const [p, text] of a) assert.fixture(b.get(p)!, text, p);
  }
});

test("an agent's bundle names only its own flows' peers", () => {
  const problems: string[] = [];
  for (const w of all) {
    const facts = universe([w]);
    for (const agent of w.agents) {
      const peers = new Set([agent.name, ...w.flows.flatMap((f) => (f.from === agent.name ? [f.to] : f.to === agent.name ? [f.from] : []))]);
      const allowed: Facts = new Map();
      allowed.set(w.name, 'workflow');
      for (const p of peers) addAgent(allowed, w, p);
      const files = new Map([...bundles.files].filter(([p]) => p.startsWith(`${w.name}/${agent.name}/`)));
      const found = contents(files, universe(all));
      for (const m of [...files.values()].join('\n').matchAll(/"agent": "([a-z0-9-]+)"/g)) found.set(m[1]!, facts.get(m[1]!) ?? 'other');
      for (const [token, kind] of found) if (!allowed.has(token) && !generic(token)) problems.push(`${w.name}/${agent.name}: ${kind} ${token}`);
    }
  }
  assert.equal(problems, []);
});

test.run();
