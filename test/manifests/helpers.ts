/** Shared by the manifest tests: the example inputs, real-schema validation, and the real tools. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppProject, Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { Kustomization as FluxKustomization } from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1';
import { GitRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1';
import { Gateway, ServiceEntry, Sidecar } from '@kubernetes-models/istio/networking.istio.io/v1beta1';
import { AuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1';
import { PeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1beta1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount } from 'kubernetes-models/v1';
import { writeTree } from '../../src/generate/index.js';
import { readKeys } from '../../src/keys/index.js';
import { manifestFiles, renderManifests, type KubeObject, type ManifestInputs } from '../../src/manifests/index.js';
import type { Workflow } from '../../src/workflow/index.js';
import { repoPath } from '../helpers/paths.js';

const run = promisify(execFile);

export async function exampleInputs(): Promise<ManifestInputs> {
  const keys = await readKeys(repoPath('keys'));
  const version = (JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { version: string }).version;
  return { ...keys, version };
}

/**
 * The schema each kind is validated against. The installed Istio models carry Istio 1.18's CRDs,
 * which had v1 only for AuthorizationPolicy: the v1 PeerAuthentication, Sidecar, ServiceEntry and Gateway
 * are validated against their v1beta1 schema (Istio 1.22 promoted them to v1 without changing
 * their fields).
 */
type Validator = { validate(): void };
const MODELS: Record<string, { make: (o: Record<string, unknown>) => Validator; as?: string }> = {
  'v1/Namespace': { make: (o) => new Namespace(o as never) },
  'v1/ServiceAccount': { make: (o) => new ServiceAccount(o as never) },
  'v1/Service': { make: (o) => new Service(o as never) },
  'v1/ConfigMap': { make: (o) => new ConfigMap(o as never) },
  'v1/PersistentVolumeClaim': { make: (o) => new PersistentVolumeClaim(o as never) },
  'apps/v1/Deployment': { make: (o) => new Deployment(o as never) },
  'networking.k8s.io/v1/NetworkPolicy': { make: (o) => new NetworkPolicy(o as never) },
  'security.istio.io/v1/AuthorizationPolicy': { make: (o) => new AuthorizationPolicy(o as never) },
  'security.istio.io/v1/PeerAuthentication': { make: (o) => new PeerAuthentication(o as never), as: 'security.istio.io/v1beta1' },
  'networking.istio.io/v1/Sidecar': { make: (o) => new Sidecar(o as never), as: 'networking.istio.io/v1beta1' },
  'networking.istio.io/v1/ServiceEntry': { make: (o) => new ServiceEntry(o as never), as: 'networking.istio.io/v1beta1' },
  'networking.istio.io/v1/Gateway': { make: (o) => new Gateway(o as never), as: 'networking.istio.io/v1beta1' },
  'argoproj.io/v1alpha1/Application': { make: (o) => new Application(o as never) },
  'argoproj.io/v1alpha1/AppProject': { make: (o) => new AppProject(o as never) },
  'source.toolkit.fluxcd.io/v1/GitRepository': { make: (o) => new GitRepository(o as never) },
  'kustomize.toolkit.fluxcd.io/v1/Kustomization': { make: (o) => new FluxKustomization(o as never) },
};

export const VALIDATED_KINDS = Object.keys(MODELS);

/** Throws the validator's error; an object of a kind no schema covers is an error too. */
export function validateObject(o: KubeObject): void {
  const key = `${o.apiVersion}/${o.kind}`;
  const model = MODELS[key];
  if (!model) throw new Error(`${key} has no schema the tests can validate against`);
  const copy = JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
  if (model.as) copy.apiVersion = model.as;
  model.make(copy).validate();
}

export function isKustomization(o: { apiVersion: string }): boolean {
  return o.apiVersion === 'kustomize.config.k8s.io/v1beta1';
}

/** Every Kubernetes object of the rendered tree, with its path. */
export function renderedObjects(workflows: readonly Workflow[], inputs: ManifestInputs): [string, KubeObject][] {
  return [...manifestFiles(workflows, inputs)].filter((e): e is [string, KubeObject] => !isKustomization(e[1]));
}

export async function writeRendered(workflows: readonly Workflow[], inputs: ManifestInputs): Promise<string> {
  const out = mkdtempSync(path.join(tmpdir(), 'custody-generated-'));
  await writeTree(out, renderManifests(workflows, inputs));
  return path.join(out, 'generated');
}

export function tool(name: 'kustomize' | 'kube-score'): string {
  const bin = repoPath('.tools', 'bin', name);
  if (!existsSync(bin)) throw new Error(`the real ${name} binary is needed at ${bin}: run npm run tools`);
  return bin;
}

export async function kustomizeBuild(dir: string): Promise<string> {
  const { stdout } = await run(tool('kustomize'), ['build', dir], { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

export { run };
