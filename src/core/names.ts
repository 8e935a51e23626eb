/**
 * A DNS-1123 label: what Kubernetes accepts as a namespace or object name, and so what every
 * workflow, agent and cluster name is. Such a name becomes a path segment too (bundles/<workflow>/,
 * keys/roots/<cluster>.pem, generated/clusters/<cluster>/): it holds no "/", "." or "..".
 */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}
