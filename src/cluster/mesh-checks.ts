/**
 * What the doctor expects of a cluster's mesh and storage, as pure judgements over what it read:
 * Istio's mesh configuration (the `mesh` key of the `istio` ConfigMap) and a StorageClass.
 */
import { parse } from 'yaml';
import { names } from '../manifests/index.js';

export interface Verdict {
  readonly ok: boolean;
  readonly detail: string;
}

export function meshConfig(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const v = parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return undefined;
  }
}

/** The ext_authz provider the generated CUSTOM AuthorizationPolicies name, pointing at the OPA sidecar. */
export function extAuthzProvider(mesh: Record<string, unknown>): Verdict {
  const providers = Array.isArray(mesh.extensionProviders) ? (mesh.extensionProviders as Record<string, unknown>[]) : [];
  const p = providers.find((x) => x.name === names.EXT_AUTHZ_PROVIDER);
  if (!p)
    return {
      ok: false,
      detail: `no extension provider "${names.EXT_AUTHZ_PROVIDER}" (providers: ${providers.map((x) => String(x.name)).join(', ') || 'none'})`,
    };
  const grpc = p.envoyExtAuthzGrpc as { service?: string; port?: number | string } | undefined;
  if (!grpc) return { ok: false, detail: `"${names.EXT_AUTHZ_PROVIDER}" is not an envoyExtAuthzGrpc provider` };
  if (grpc.service !== names.EXT_AUTHZ_HOST || Number(grpc.port) !== names.EXT_AUTHZ_PORT) {
    return {
      ok: false,
      detail: `"${names.EXT_AUTHZ_PROVIDER}" points at ${grpc.service}:${grpc.port}, the sidecar listens at ${names.EXT_AUTHZ_HOST}:${names.EXT_AUTHZ_PORT}`,
    };
  }
  return { ok: true, detail: `"${names.EXT_AUTHZ_PROVIDER}" -> ${grpc.service}:${grpc.port}` };
}

export function meshTrustDomain(mesh: Record<string, unknown>): string {
  return typeof mesh.trustDomain === 'string' && mesh.trustDomain !== '' ? mesh.trustDomain : 'cluster.local';
}

export const EXT_AUTHZ_FIX = `add to the mesh configuration (istioctl install, or the istio ConfigMap in istio-system): extensionProviders: [{name: ${names.EXT_AUTHZ_PROVIDER}, envoyExtAuthzGrpc: {service: ${names.EXT_AUTHZ_HOST}, port: ${names.EXT_AUTHZ_PORT}}}]`;

/**
 * Encryption at rest by the parameters of the provisioners whose meaning is known; for any other,
 * the class is taken as the administrator's word (the name says encrypted) and said so.
 */
export function storageEncryption(sc: { provisioner?: string; parameters?: Record<string, string> }): Verdict & { checked: boolean } {
  const p = sc.parameters ?? {};
  switch (sc.provisioner) {
    case 'ebs.csi.aws.com':
    case 'kubernetes.io/aws-ebs':
      return {
        ok: p.encrypted === 'true',
        checked: true,
        detail: p.encrypted === 'true' ? 'EBS volumes encrypted' : 'EBS volumes not encrypted (parameters.encrypted is not "true")',
      };
    case 'pd.csi.storage.gke.io':
      // Persistent disks are always encrypted at rest; a customer key is the owner's choice.
      return {
        ok: true,
        checked: true,
        detail: p['disk-encryption-kms-key'] ? 'Persistent Disk with a customer-managed key' : 'Persistent Disk, Google-managed encryption',
      };
    case 'disk.csi.azure.com':
      return { ok: true, checked: true, detail: p.diskEncryptionSetID ? 'Azure disk with a disk encryption set' : 'Azure disk, platform-managed encryption' };
    default:
      return { ok: true, checked: false, detail: `provisioner ${sc.provisioner ?? '(none)'}: encryption not checked, make sure the class encrypts` };
  }
}

/** A peer cluster whose agents this cluster's mesh must accept, with its committed root if any. */
export interface PeerTrust {
  readonly cluster: string;
  readonly trustDomain: string;
  readonly root?: { readonly pem: string; readonly fingerprint: string };
}

/** The certificates of a PEM text, whitespace removed, so a re-wrapped copy still matches. */
const certificates = (pem: string) => (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((b) => b.replace(/\s+/g, ''));

/**
 * Whether `meshConfig.caCertificates` binds each peer's committed root to that peer's trust
 * domain, and binds no other root to it: a foreign root bound to a peer's domain would let its
 * holder sign identities of that peer's agents. An entry without `trustDomains` trusts its root
 * for every domain, which is refused for the same reason.
 */
export function peerRoots(mesh: Record<string, unknown>, peers: readonly PeerTrust[]): Verdict {
  const entries = (Array.isArray(mesh.caCertificates) ? (mesh.caCertificates as Record<string, unknown>[]) : []).map((e) => ({
    certs: typeof e.pem === 'string' ? certificates(e.pem) : [],
    domains: Array.isArray(e.trustDomains) ? (e.trustDomains as unknown[]).map(String) : [],
  }));
  const problems: string[] = [];
  for (const p of peers) {
    if (!p.root) {
      problems.push(`${p.cluster}: no root committed (keys/roots/${p.cluster}.pem), so none can be checked`);
      continue;
    }
    const own = certificates(p.root.pem);
    const holds = (e: (typeof entries)[number]) => e.certs.length > 0 && own.every((c) => e.certs.includes(c));
    const found = entries.filter(holds);
    if (found.length === 0) problems.push(`${p.cluster}: its root (SHA-256 ${p.root.fingerprint}) is not in caCertificates`);
    else if (!found.some((e) => e.domains.includes(p.trustDomain)))
      problems.push(`${p.cluster}: its root is bound to ${found.map((e) => e.domains.join(', ') || 'every trust domain').join('; ')}, not to ${p.trustDomain}`);
    const foreign = entries.filter((e) => !holds(e) && (e.domains.includes(p.trustDomain) || e.domains.length === 0));
    if (foreign.length) problems.push(`${p.cluster}: ${foreign.length} other root(s) are bound to its trust domain ${p.trustDomain}`);
  }
  if (problems.length) return { ok: false, detail: problems.join('\n') };
  return {
    ok: true,
    detail: peers.length ? `caCertificates bind ${peers.map((p) => `${p.cluster} to ${p.trustDomain}`).join(', ')}` : 'no peer cluster to trust',
  };
}
