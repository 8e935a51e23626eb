/** The owner's view: per workflow and agent, the revision served, what each sidecar enforces, errors, recent denials. */
import type { Catalog } from './catalog.js';
import type { Observations } from './observe.js';

export interface RolloutAgent {
  readonly workflow: string;
  readonly agent: string;
  readonly cluster?: string;
  readonly served?: { readonly revision: string; readonly builtAt: string };
  readonly buildError?: { readonly revision: string; readonly message: string; readonly at: string };
  readonly sidecars: ReturnType<Observations['statusOf']>;
  /**
   * Set when more of the agent's instances reported within the hour than the server keeps: the
   * sidecars listed are the `kept` heard from most recently, and `inSync` speaks only for them.
   */
  readonly moreSidecars?: NonNullable<ReturnType<Observations['instancesDropped']>>;
  /** Whether every reporting sidecar enforces the served revision. */
  readonly inSync: boolean;
  readonly recentDenials: ReturnType<Observations['deniedOf']>;
  /** Set when what the agent's sidecars reported cannot be shown. */
  readonly reportError?: string;
}

export interface RolloutView {
  readonly repository: string;
  readonly branch?: string;
  readonly head?: { readonly commit: string; readonly commitTime: number; readonly at: string };
  readonly repositoryError?: { readonly message: string; readonly at: string };
  readonly agents: readonly RolloutAgent[];
}

export function rolloutView(catalog: Catalog, observations: Observations, source: { repository: string; branch: string | undefined }): RolloutView {
  const s = catalog.status();
  return {
    repository: source.repository,
    ...(source.branch ? { branch: source.branch } : {}),
    ...(s.head ? { head: s.head } : {}),
    ...(s.lastError ? { repositoryError: s.lastError } : {}),
    agents: catalog.all().map((e) => {
      const key = `${e.workflow}/${e.agent}`;
      const served = {
        workflow: e.workflow,
        agent: e.agent,
        ...(e.cluster ? { cluster: e.cluster } : {}),
        ...(e.revision ? { served: { revision: e.revision, builtAt: e.builtAt } } : {}),
        ...(e.failure ? { buildError: e.failure } : {}),
      };
      // What one agent reported never fails the view of all the others.
      try {
        const sidecars = observations.statusOf(key);
        const more = observations.instancesDropped(key);
        return {
          ...served,
          sidecars,
          ...(more ? { moreSidecars: more } : {}),
          inSync: sidecars.length > 0 && sidecars.every((x) => x.activeRevision === e.revision),
          recentDenials: observations.deniedOf(key),
        };
      } catch {
        return { ...served, sidecars: [], inSync: false, recentDenials: [], reportError: 'the reports of this agent cannot be shown' };
      }
    }),
  };
}
