/** From YAML text to checked workflows: parse, validate (schema, then meaning), then build the typed model. */
import { compareDiagnostics, DiagnosticCodes, type Diagnostic } from './diagnostic.js';
import { normalCondition, type AttributeValue, type Condition } from './condition.js';
import {
  CLUSTER_SETTINGS,
  DEFAULTS,
  sameSetting,
  spiffeId,
  type Actor,
  type Cluster,
  type ClusterSetting,
  type Agent,
  type AgentResources,
  type Flow,
  type Workflow,
} from './model.js';
import { schemaDiagnostics } from './schema.js';
import { semanticDiagnostics } from './semantics.js';
import { fieldName, SourceFile } from './source.js';

export interface InputFile {
  /** As it should appear in messages, e.g. `workflows/movie.yaml`. */
  readonly file: string;
  readonly text: string;
}

export interface LoadResult {
  /** The workflows of files without errors, sorted by name. */
  readonly workflows: readonly Workflow[];
  /** Every error and warning, sorted by file and position. */
  readonly diagnostics: readonly Diagnostic[];
  /** The parsed files of the accepted workflows, by file: where later findings are located. */
  readonly sources: ReadonlyMap<string, SourceFile>;
}

/** Checks one file on its own. */
/**
 * The largest spec file read: about 80,000 flows. A 55 MB spec (800,000 flows) exhausted V8's
 * heap while its positions were being kept; refusing before parsing says why instead.
 */
export const MAX_SPEC_BYTES = 8 * 1024 * 1024;

/**
 * The settings a cluster's actors share within a workflow: the one any of its actors gives, else
 * the workflow's own (a cluster is one place: every agent there gets an identity of one trust
 * domain, and one reconciler syncs one repository).
 */
export type SharedClusterSetting = 'trustDomain' | 'repository';

const member = (v: unknown, key: string) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined);

/** What an actor's own cluster block gives for `field` in a spec document (as parsed, validated or not). */
export function givenSetting(doc: unknown, actor: string, field: SharedClusterSetting | 'name'): unknown {
  return member(member(member(member(member(doc, 'spec'), 'actors'), actor), 'cluster'), field);
}

/**
 * The actor whose cluster block gives `field` for `cluster`: the first in the spec's order, whose
 * value the loaded workflow's actors there all take.
 */
export function settingGiver(doc: unknown, cluster: string, field: SharedClusterSetting): string | undefined {
  const actors = member(member(doc, 'spec'), 'actors');
  return Object.keys(typeof actors === 'object' && actors !== null ? actors : {}).find(
    (name) => givenSetting(doc, name, 'name') === cluster && givenSetting(doc, name, field) !== undefined,
  );
}

export function loadWorkflow(input: InputFile): { workflow?: Workflow; source?: SourceFile; diagnostics: Diagnostic[] } {
  const size = Buffer.byteLength(input.text, 'utf8');
  if (size > MAX_SPEC_BYTES) {
    return {
      diagnostics: [
        {
          severity: 'error',
          code: DiagnosticCodes.inputTooLarge,
          file: input.file,
          line: 1,
          column: 1,
          field: '',
          message: `the file is ${size.toLocaleString('en')} bytes, more than the ${MAX_SPEC_BYTES.toLocaleString('en')} a workflow spec may have`,
          hint: 'split the workflow into several workflows, each in a file of its own',
        },
      ],
    };
  }
  const parsed = SourceFile.parse(input.file, input.text);
  if (!parsed.source) return { diagnostics: parsed.diagnostics };
  const source = parsed.source;
  // The parser's diagnostics that leave a document (a name used twice) come with the rest.
  const diagnostics = [...parsed.diagnostics, ...schemaDiagnostics(source), ...semanticDiagnostics(source)].sort(compareDiagnostics);
  if (diagnostics.some((d) => d.severity === 'error')) return { source, diagnostics };
  return { workflow: build(source.value as RawWorkflow, input.file), source, diagnostics };
}

/**
 * Checks several files together: each on its own, then what must hold across them (workflow
 * names unique, one cluster described the same way everywhere).
 */
export function loadWorkflows(inputs: readonly InputFile[]): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const loaded: { workflow: Workflow; source: SourceFile }[] = [];
  for (const input of inputs) {
    const r = loadWorkflow(input);
    diagnostics.push(...r.diagnostics);
    if (r.workflow && r.source) loaded.push({ workflow: r.workflow, source: r.source });
  }
  const byName = new Map<string, string>();
  // Per cluster: the first value of each setting and the workflow that gave it. A loaded
  // workflow's clusters always carry their trust domain (one mesh has one), given or defaulted.
  const clusters = new Map<string, Map<ClusterSetting, { value: unknown; workflow: string }>>();
  const accepted: Workflow[] = [];
  for (const { workflow, source } of [...loaded].sort((a, b) => (a.workflow.file < b.workflow.file ? -1 : 1))) {
    const prior = byName.get(workflow.name);
    let ok = true;
    if (prior !== undefined) {
      const pos = source.position(['metadata', 'name']);
      diagnostics.push({
        severity: 'error',
        code: DiagnosticCodes.duplicateWorkflow,
        file: workflow.file,
        line: pos.line,
        column: pos.column,
        field: 'metadata.name',
        message: `workflow "${workflow.name}" is already defined in ${prior}`,
        hint: 'workflow names are namespaces in shared clusters: give each workflow its own name',
      });
      ok = false;
    }
    const conflict = (at: (string | number)[], message: string, hint: string) => {
      const pos = source.position(at);
      diagnostics.push({
        severity: 'error',
        code: DiagnosticCodes.clusterConflict,
        file: workflow.file,
        line: pos.line,
        column: pos.column,
        field: fieldName(at),
        message,
        hint,
      });
      ok = false;
    };
    const raw = source.value as RawWorkflow;
    const reported = new Set<string>();
    for (const actor of workflow.actors) {
      const name = actor.cluster.name;
      const known = clusters.get(name) ?? new Map<ClusterSetting, { value: unknown; workflow: string }>();
      clusters.set(name, known);
      for (const field of CLUSTER_SETTINGS) {
        const value = actor.cluster[field];
        if (value === undefined) continue;
        const seen = known.get(field);
        if (!seen) known.set(field, { value, workflow: workflow.name });
        else if (!sameSetting(seen.value, value) && seen.workflow !== workflow.name) {
          // A trust domain or repository an actor shares is reported where it comes from (another
          // actor on the cluster, the workflow's default), once per place.
          const shared = field === 'trustDomain' || field === 'repository' ? field : undefined;
          const giver = shared ? settingGiver(raw, name, shared) : actor.name;
          const at =
            giver !== undefined
              ? ['spec', 'actors', giver, 'cluster', field]
              : shared && raw.spec[shared] !== undefined
                ? ['spec', shared]
                : ['spec', 'actors', actor.name, 'cluster', 'name'];
          if (reported.has(at.join('.'))) continue;
          reported.add(at.join('.'));
          conflict(
            at,
            field === 'trustDomain'
              ? `cluster "${name}" runs workflow "${seen.workflow}" with trust domain ${String(seen.value)}, but here its trust domain is ${String(value)}`
              : `cluster "${name}" has ${field} ${JSON.stringify(value)} here but ${JSON.stringify(seen.value)} in workflow "${seen.workflow}"`,
            field === 'trustDomain'
              ? 'the mesh of one cluster has one trust domain: give the cluster the same trustDomain in both workflows, or use another cluster'
              : `a cluster name means one cluster in every workflow: use the same ${field}, or another cluster name`,
          );
        }
      }
    }
    if (prior === undefined) byName.set(workflow.name, workflow.file);
    if (ok) accepted.push(workflow);
  }
  accepted.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const sources = new Map(loaded.filter((l) => accepted.includes(l.workflow)).map((l) => [l.workflow.file, l.source]));
  return { workflows: accepted, diagnostics: diagnostics.sort(compareDiagnostics), sources };
}

// The raw document after validation: shapes are guaranteed by the schema and semantic checks.
interface RawWorkflow {
  metadata: { name: string };
  spec: {
    owner: string;
    timezone?: string;
    trustDomain?: string;
    repository?: string;
    actors: Record<
      string,
      {
        cluster: Partial<Omit<Cluster, 'name'>> & { name: string };
        agents: Record<
          string,
          {
            image: string;
            port?: number;
            storage?: string;
            attributes?: Record<string, AttributeValue>;
            imagePullSecrets?: string[];
            resources?: AgentResources;
          }
        >;
      }
    >;
    flows: { from: string; to: string; methods: string[]; path: string; when?: Condition[]; notBefore?: string; until?: string }[];
  };
}

const byKey = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function build(raw: RawWorkflow, file: string): Workflow {
  const name = raw.metadata.name;
  const trustDomain = raw.spec.trustDomain ?? DEFAULTS.trustDomain;
  // What the cluster's actors share (SharedClusterSetting; the checker made the givers agree).
  const shared = (cluster: string, field: SharedClusterSetting): string | undefined => {
    const giver = settingGiver(raw, cluster, field);
    return giver === undefined ? undefined : raw.spec.actors[giver]!.cluster[field];
  };
  const actors: Actor[] = [];
  const agents: Agent[] = [];
  for (const [actorName, actor] of Object.entries(raw.spec.actors)) {
    const cluster: Record<string, unknown> = { name: actor.cluster.name };
    for (const field of CLUSTER_SETTINGS) if (actor.cluster[field] !== undefined) cluster[field] = actor.cluster[field];
    const repository = shared(actor.cluster.name, 'repository') ?? raw.spec.repository;
    if (repository !== undefined) cluster.repository = repository;
    const domain = shared(actor.cluster.name, 'trustDomain') ?? trustDomain;
    cluster.trustDomain = domain;
    actors.push({
      name: actorName,
      cluster: cluster as unknown as Cluster,
      agents: Object.keys(actor.agents).sort(),
    });
    for (const [agentName, agent] of Object.entries(actor.agents)) {
      agents.push({
        name: agentName,
        actor: actorName,
        image: agent.image,
        port: agent.port ?? DEFAULTS.port,
        storage: agent.storage ?? DEFAULTS.storage,
        attributes: sortKeys(agent.attributes ?? {}),
        ...(agent.imagePullSecrets?.length ? { imagePullSecrets: [...agent.imagePullSecrets] } : {}),
        ...(agent.resources ? { resources: agent.resources } : {}),
        principal: spiffeId(domain, name, agentName),
      });
    }
  }
  const flows: Flow[] = raw.spec.flows.map((f, index) => ({
    index,
    from: f.from,
    to: f.to,
    methods: [...new Set(f.methods)].sort(),
    path: f.path,
    ...(f.when ? { when: f.when.map(normalCondition) } : {}),
    ...(f.notBefore !== undefined ? { notBefore: f.notBefore } : {}),
    ...(f.until !== undefined ? { until: f.until } : {}),
  }));
  return {
    apiVersion: 'custody.dev/v1alpha1',
    name,
    file,
    owner: raw.spec.owner,
    timezone: raw.spec.timezone ?? DEFAULTS.timezone,
    trustDomain,
    actors: actors.sort(byKey),
    agents: agents.sort(byKey),
    flows,
  };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
