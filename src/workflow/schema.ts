/**
 * Structural validation against the published JSON Schema (the same file editors use through
 * `# yaml-language-server: $schema=...`), so the checker and the editors can never disagree.
 * Ajv's terse errors are turned into diagnostics that name the field and say what to do.
 */
import { excerpt } from '../core/text.js';
import { quotable } from '../core/url.js';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import schema from './workflow.schema.json' with { type: 'json' };
import { DiagnosticCodes, didYouMean, type Diagnostic, type DiagnosticCode } from './diagnostic.js';
import { fieldName, type FieldPath, type SourceFile } from './source.js';

export const workflowSchema = schema;

const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(schema);

const DNS_LABEL_HINT = 'use lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters';

export function schemaDiagnostics(source: SourceFile): Diagnostic[] {
  if (validate(source.value)) return [];
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const err of validate.errors ?? []) {
    const d = toDiagnostic(source, err);
    if (!d) continue;
    const key = `${d.line}:${d.column}:${d.code}:${d.field}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

function toDiagnostic(source: SourceFile, err: ErrorObject): Diagnostic | undefined {
  const path = pointerToPath(err.instancePath);
  const dnsLabel = err.schemaPath.includes('/dnsLabel/');
  const make = (code: DiagnosticCode, at: FieldPath, message: string, hint?: string, key = false): Diagnostic => {
    const pos = source.position(at, key);
    return { severity: 'error', code, file: source.file, line: pos.line, column: pos.column, field: fieldName(at), message, ...(hint ? { hint } : {}) };
  };
  // A name that is a map key (actor and agent names, attribute names) is reported at the key.
  const propertyName = (err as ErrorObject & { propertyName?: string }).propertyName;
  if (err.keyword === 'propertyNames') return undefined; // its nested error says more
  if (propertyName !== undefined) {
    const at = [...path, propertyName];
    const what = dnsLabel ? DNS_LABEL_HINT : 'start with a letter or "_", then letters, digits or "_", at most 63 characters';
    return make(DiagnosticCodes.invalidName, at, `name ${JSON.stringify(propertyName)} is not allowed here`, what, true);
  }
  // A flow path is checked again by the path module, which says what is wrong with it: the
  // schema's pattern (the same rule, for editors) would only repeat it less precisely.
  if (err.keyword === 'pattern' && path.length === 4 && path[0] === 'spec' && path[1] === 'flows' && path[3] === 'path') return undefined;
  switch (err.keyword) {
    case 'required': {
      const missing = String(err.params.missingProperty);
      // Shown at the key of the mapping that lacks it (where the reader will add it).
      return make(
        DiagnosticCodes.missingField,
        path,
        `missing required field "${missing}"`,
        `add "${missing}" to ${fieldName(path) || 'the document'}`,
        path.length > 0,
      );
    }
    case 'additionalProperties': {
      const extra = String(err.params.additionalProperty);
      const allowed = Object.keys((err.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = didYouMean(extra, allowed);
      const hint = guess ? `did you mean "${guess}"?` : allowed.length ? `allowed here: ${allowed.join(', ')}` : undefined;
      return make(DiagnosticCodes.unknownField, [...path, extra], `unknown field "${extra}"`, hint, true);
    }
    case 'type': {
      const want = String(err.params.type).replace(/,/g, ' or ');
      return make(DiagnosticCodes.invalidType, path, `expected ${want}, found ${describe(err.data)}`);
    }
    case 'const':
      return make(DiagnosticCodes.invalidValue, path, `must be ${JSON.stringify(err.params.allowedValue)}, found ${describe(err.data)}`);
    case 'enum': {
      const allowed = (err.params.allowedValues as unknown[]).map(String);
      const guess = typeof err.data === 'string' ? didYouMean(err.data, allowed) : undefined;
      return make(
        DiagnosticCodes.invalidValue,
        path,
        `${describe(err.data)} is not one of ${allowed.join(', ')}`,
        guess ? `did you mean "${guess}"?` : undefined,
      );
    }
    case 'pattern':
    case 'maxLength':
      if (dnsLabel) return make(DiagnosticCodes.invalidName, path, `${describe(err.data)} is not a DNS-1123 label`, DNS_LABEL_HINT);
      if (path.at(-1) === 'methods' || path.at(-2) === 'methods')
        return make(DiagnosticCodes.invalidMethod, path, `${describe(err.data)} is not an HTTP method`, 'write methods in upper case, e.g. GET or POST');
      return make(DiagnosticCodes.invalidValue, path, `${describe(err.data)} is not valid here`, patternHint(path));
    case 'minItems':
    case 'minProperties':
      return make(DiagnosticCodes.missingField, path, `${fieldName(path) || 'this'} must not be empty`, minHint(path));
    case 'minimum':
    case 'maximum':
      return make(DiagnosticCodes.invalidValue, path, `${describe(err.data)} is out of range (${err.message ?? ''})`);
    case 'minLength':
      return make(DiagnosticCodes.invalidValue, path, 'must not be empty');
    case 'dependentRequired': {
      const missing = String(err.params.missingProperty);
      return make(
        DiagnosticCodes.missingField,
        path,
        `"${String(err.params.property)}" needs "${missing}" beside it`,
        `add "${missing}" to ${fieldName(path)}, or remove "${String(err.params.property)}"`,
        true,
      );
    }
    default:
      return make(DiagnosticCodes.invalidValue, path, err.message ?? 'is not valid');
  }
}

function patternHint(path: FieldPath): string | undefined {
  switch (path.at(-1)) {
    case 'image':
      return 'write a container image reference such as registry.example/team/app:1.2.3';
    case 'storage':
      return 'write a Kubernetes quantity such as 1Gi or 500Mi';
    case 'cpu':
      return 'write a Kubernetes quantity such as 500m (half a core) or 2';
    case 'memory':
    case 'ephemeral-storage':
      return 'write a Kubernetes quantity such as 512Mi or 4Gi';
    case 'server':
      return 'write the https:// URL of the cluster API server';
    case 'trustDomain':
      return 'use lowercase letters, digits, dots and dashes, e.g. cluster.local';
    case 'storageClass':
      return 'write the name of a StorageClass (a DNS-1123 subdomain), e.g. custody-encrypted';
    case 'bundleServer':
      return 'write an http:// or https:// URL without query, e.g. https://bundles.studio.example';
    case 'repository':
      return 'write the https:// or ssh:// URL of the Git repository';
    case 'branch':
      return 'write a branch name such as main';
    case 'tokenIssuer':
      return "write the https:// issuer URL of the cluster's ServiceAccount tokens";
    case 'tokenJwksUrl':
      return "write the https:// URL of the issuer's JWKS";
    case 'apiServerPort':
      return 'write the port the API server listens on, e.g. 6443';
    case 'apiServerCidr':
      return "write the API server endpoints' addresses as an IPv4 CIDR, e.g. 10.0.0.2/32";
    case 'opaImage':
    case 'serverImage':
      return 'write a container image reference with a tag or digest, e.g. openpolicyagent/opa:1.15.2-envoy';
    case 'argocdDestination':
      return 'write the cluster name Argo CD knows, e.g. in-cluster';
    case 'address':
      return 'write the IP address or DNS name of the east-west gateway, e.g. 203.0.113.10 or eastwest.mesh.example';
    case 'fluxServiceAccount':
      return 'write the name of a ServiceAccount in flux-system, e.g. custody-reconciler';
    default:
      if (path.at(-2) === 'fluxDependsOn') return 'write the name of a Flux Kustomization in flux-system, e.g. infrastructure';
      return undefined;
  }
}

function minHint(path: FieldPath): string | undefined {
  switch (path.at(-1)) {
    case 'actors':
      return 'declare at least the owner as an actor';
    case 'agents':
      return 'give the actor at least one agent';
    case 'flows':
      return 'declare at least one flow; with none, every request is denied';
    case 'methods':
      return 'name at least one HTTP method, e.g. [POST]';
    case 'when':
      return 'remove "when" to allow the flow at any time, or add an alternative';
    case 'days':
      return 'name at least one day, e.g. [Mon, Tue]';
    default:
      return 'write at least one key, e.g. hours, days or attribute';
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  // A URL the schema refuses may still hold a token (`HTTPS://user:token@…`): quoted without it.
  if (typeof value === 'string') return `"${excerpt(quotable(value))}"`;
  return `${typeof value} ${String(value)}`;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}
