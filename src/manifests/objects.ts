/** What the renderer produces before it becomes files: Kubernetes objects, each with its file. */
import { ANNOTATION, LABEL } from './constants.js';

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly finalizers?: readonly string[];
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  /** Always set by the builders; optional only because the Kubernetes types say so. */
  readonly metadata?: ObjectMeta;
}

/** One object and the file (relative to its kustomization folder) that holds it. */
export interface Placed {
  readonly file: string;
  readonly object: KubeObject;
}

export type Wave = number;

/** Metadata with Custody's labels and the Argo CD sync wave (which Flux ignores). */
export function meta(name: string, namespace: string | undefined, wave: Wave, labels: Record<string, string> = {}, annotations: Record<string, string> = {}) {
  return {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    labels: { [LABEL.managedBy]: 'custody', ...labels },
    annotations: { [ANNOTATION.syncWave]: String(wave), ...annotations },
  };
}

export function workflowLabels(workflow: string): Record<string, string> {
  return { [LABEL.partOf]: workflow, [LABEL.workflow]: workflow };
}
