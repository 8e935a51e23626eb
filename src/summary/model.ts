/**
 * The access-change summary of a policy change, as data: two versions of the repository go in
 * (`DiffSide`), a `ChangeSummary` comes out (`summarize.ts`): per workflow, what each agent may
 * now do, may no longer do, or may do under other conditions, with renames recognised; per
 * manifest tree, how many objects were added, changed and removed; the policy bundles that
 * changed; and the keys. `render.ts` lays it out for a pull request, a terminal or a program.
 */
import type { Workflow } from '../workflow/index.js';
import type { KeyChanges, KeyFiles } from './key-changes.js';
import type { TrustChanges } from './trust-changes.js';

/** One version of the repository, as the summary needs it. */
export interface DiffSide {
  /** Its checked workflows (those without errors). */
  readonly workflows: readonly Workflow[];
  /** Workflow files with errors in this version (repository paths): compared in neither. */
  readonly invalid?: readonly string[];
  /**
   * Files under `generated/` and `bundles/` by repository path. Files equal in both versions may
   * be left out (a reader that skips identical Git trees does): they count for nothing.
   */
  readonly files: ReadonlyMap<string, string>;
  /** The whole of `keys/` (`*.pem`, `active`, `roots/`, `jwks/`) when it differs between the versions; else absent on both sides. */
  readonly keys?: KeyFiles;
}

/**
 * Files of the head's generated trees that this change touches and that are not what the head's
 * specs and keys generate: a hand edit, or trees committed without their specs. The access
 * summary reads the specs, so these files enforce something it does not describe.
 */
export interface GeneratedCheck {
  /** False when the head's specs or keys have errors: nothing could be compared. */
  readonly checked: boolean;
  readonly reason?: string;
  readonly files: readonly { readonly path: string; readonly problem: 'differs' | 'not-generated' | 'missing' }[];
}

export type AccessChangeKind = 'added' | 'removed' | 'condition' | 'path';

export interface AccessChange {
  readonly kind: AccessChangeKind;
  readonly from: string;
  readonly to: string;
  /** Sorted. */
  readonly methods: readonly string[];
  readonly path: string;
  /** `path` changes: the path the grant had. */
  readonly previousPath?: string;
  /** When it holds (in the head version; in the base version for `removed`); null: always. */
  readonly condition: string | null;
  /** `condition` changes: when it held before; null: always. */
  readonly previousCondition?: string | null;
  /** The condition as written in the spec, when deciding the caller's attributes simplified it. */
  readonly written?: string;
  /** The change in plain words. */
  readonly text: string;
}

export type AgentChangeKind = 'added' | 'removed' | 'renamed' | 'moved' | 'attributes' | 'image' | 'port';

export interface AgentChange {
  readonly kind: AgentChangeKind;
  /** The head name (the base name for `removed`). */
  readonly agent: string;
  readonly previousName?: string;
  readonly actor?: string;
  readonly cluster?: string;
  /** `moved`, `image`, `port`: before and after, as words. */
  readonly before?: string;
  readonly after?: string;
  /** `renamed`: the identity the mesh gives it now. */
  readonly principal?: string;
  /** `attributes`: each attribute that changed; absent values are missing attributes. */
  readonly attributes?: readonly { readonly name: string; readonly before?: string | number | boolean; readonly after?: string | number | boolean }[];
  readonly text: string;
}

export interface SettingChange {
  readonly setting: 'owner' | 'timezone' | 'trustDomain';
  readonly before: string;
  readonly after: string;
  readonly text: string;
}

/** One organisation taking part in a new workflow: who it is, where it runs, what it runs. */
export interface Participant {
  readonly actor: string;
  readonly owner: boolean;
  readonly cluster: string;
  /** Absent when the spec gives none. */
  readonly region?: string;
  /** By name. */
  readonly agents: readonly { readonly name: string; readonly image: string }[];
}

export interface WorkflowChange {
  /** The head name (the base name when removed). */
  readonly workflow: string;
  readonly status: 'added' | 'removed' | 'renamed' | 'changed';
  readonly previousName?: string;
  readonly text?: string;
  /**
   * `added`: every organisation it brings in, with its cluster, region, agents and images, so a
   * reviewer sees who will hold the data and where (by organisation, owner first).
   */
  readonly participants?: readonly Participant[];
  readonly settings: readonly SettingChange[];
  readonly agents: readonly AgentChange[];
  /** Added first, then changed paths and conditions, then removed; by caller, callee and path within each. */
  readonly access: readonly AccessChange[];
  /**
   * The changed part of the workflow as a Mermaid flowchart (graph/change.ts), absent when no
   * flow or agent changed. Markdown shows it; text and JSON leave it out.
   */
  readonly diagram?: string;
}

export interface ObjectChange {
  readonly change: 'added' | 'changed' | 'removed';
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
  /** The file holding it (in the head version; in the base version when removed). */
  readonly file: string;
}

export interface ManifestTreeChange {
  /** Under `generated/`: `clusters/<cluster>`, `argocd/<cluster>`, `flux/<cluster>`, … */
  readonly tree: string;
  readonly cluster?: string;
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
  readonly objects: readonly ObjectChange[];
}

export interface BundleChange {
  readonly workflow: string;
  readonly agent: string;
  readonly status: 'added' | 'changed' | 'removed';
  /** The files of `bundles/<workflow>/<agent>/` that differ. */
  readonly files: readonly string[];
}

export interface ChangeSummary {
  /** Only workflows with a change. */
  readonly workflows: readonly WorkflowChange[];
  /** Only trees with a change, by tree. */
  readonly manifests: readonly ManifestTreeChange[];
  /** By workflow and agent. */
  readonly bundles: readonly BundleChange[];
  /** Workflow files with errors in either version, left out of the comparison. */
  readonly notCompared: readonly string[];
  /** The bundle verification keys, when they changed. */
  readonly keys?: KeyChanges;
  /** The peers' mesh roots and the clusters' token keys, when they changed. */
  readonly trust?: TrustChanges;
  /** Whether the changed generated files are what the head's specs generate (when it was checked). */
  readonly generated?: GeneratedCheck;
  readonly counts: {
    readonly access: { readonly added: number; readonly changed: number; readonly removed: number };
    readonly objects: { readonly added: number; readonly changed: number; readonly removed: number };
    readonly bundles: number;
  };
}
