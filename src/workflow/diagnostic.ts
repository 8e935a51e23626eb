/**
 * Problems found in user input. Every diagnostic points at a file, line and column, names the
 * field in the spec's own terms and says what to do; all of a file's problems are collected and
 * reported together rather than stopping at the first. They are a list, not thrown one by one,
 * but each is printed exactly as an error is (`formatError`), so a reader meets one shape.
 */
import { CustodyError, formatError } from '../core/errors.js';
import { cmp } from '../core/order.js';

export type Severity = 'error' | 'warning';

/** Stable codes: tests and tools match on these, never on message text. */
export const DiagnosticCodes = {
  yamlSyntax: 'yaml-syntax',
  inputTooLarge: 'input-too-large',
  unsupportedInput: 'unsupported-input',
  notAMapping: 'not-a-mapping',
  unknownField: 'unknown-field',
  missingField: 'missing-field',
  invalidType: 'invalid-type',
  invalidValue: 'invalid-value',
  invalidName: 'invalid-name',
  reservedName: 'reserved-name',
  duplicateName: 'duplicate-name',
  duplicateWorkflow: 'duplicate-workflow',
  unknownOwner: 'unknown-owner',
  unknownAgent: 'unknown-agent',
  selfFlow: 'self-flow',
  unknownTimezone: 'unknown-timezone',
  invalidTime: 'invalid-time',
  invalidInstant: 'invalid-instant',
  invalidPath: 'invalid-path',
  invalidMethod: 'invalid-method',
  invalidCondition: 'invalid-condition',
  neverHolds: 'never-holds',
  reservedPort: 'reserved-port',
  unpinnedImage: 'unpinned-image',
  clusterConflict: 'cluster-conflict',
  sharedTrustDomain: 'shared-trust-domain',
  sharedCluster: 'shared-cluster',
  missingPeerRoot: 'missing-peer-root',
  noSidecarAuth: 'no-sidecar-auth',
  sharedTokenIssuer: 'shared-token-issuer',
  noEastWestGateway: 'no-east-west-gateway',
  defaultRepository: 'default-repository',
  credentialsInUrl: 'credentials-in-url',
  sshServerRepository: 'ssh-server-repository',
  exampleSigningKey: 'example-signing-key',
  duplicateFlow: 'duplicate-flow',
  conditionAlternativeNeverHolds: 'alternative-never-holds',
  unreachableAgent: 'unreachable-agent',
  noReturnToOwner: 'no-return-to-owner',
  cycle: 'cycle',
  businessIntelligenceExposure: 'bi-exposure',
  isolatedAgent: 'isolated-agent',
} as const;

export type DiagnosticCode = (typeof DiagnosticCodes)[keyof typeof DiagnosticCodes];

export interface Diagnostic {
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Dotted path of the field in the spec, e.g. `spec.flows[3].to`. */
  readonly field: string;
  readonly message: string;
  /** What to do about it. */
  readonly hint?: string;
}

/** `severity[code]: file:line:col: field: message (hint)`: the layout of `formatError`, severity first. */
export function formatDiagnostic(d: Diagnostic): string {
  const location = { file: d.file, line: d.line, column: d.column, ...(d.field ? { field: d.field } : {}) };
  const asError = new CustodyError(d.code, 'invalid', d.message, { location, ...(d.hint ? { hint: d.hint } : {}) });
  // formatError owns the layout; a warning differs only in the word it starts with.
  return `${d.severity}${formatError(asError).slice('error'.length)}`;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return cmp(a.file, b.file) || a.line - b.line || a.column - b.column || cmp(a.severity, b.severity) || cmp(a.code, b.code) || cmp(a.message, b.message);
}

/** Suggests the closest candidate for a misspelt name (OPA does the same for unknown refs). */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(name, c);
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}
