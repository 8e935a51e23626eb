/** The workflow's namespace: Pod Security level and mesh injection. */
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import { RETAIN, WAVE } from './constants.js';
import { meta } from './objects.js';

/**
 * With the Istio CNI plugin, pods need no privileges to join the mesh, so the namespace enforces
 * `restricted`. Without it, Istio's init container needs NET_ADMIN and NET_RAW, which even
 * `baseline` forbids: the namespace must enforce `privileged`, and still warns and audits at
 * `restricted`, so every other violation is reported (Istio's "Install with Pod Security Admission").
 */
export function podSecurityLevel(istioCni: boolean): 'restricted' | 'privileged' {
  return istioCni ? 'restricted' : 'privileged';
}

export function namespace(name: string, istioCni: boolean, labels: Record<string, string>): INamespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: meta(
      name,
      undefined,
      WAVE.namespace,
      {
        ...labels,
        'istio-injection': 'enabled',
        'pod-security.kubernetes.io/enforce': podSecurityLevel(istioCni),
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/warn-version': 'latest',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/audit-version': 'latest',
      },
      RETAIN,
    ),
  };
}
