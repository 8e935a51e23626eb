/** Compiles a checked workflow into what each agent's OPA sidecar enforces for requests to that agent. */
import type { Agent, AttributeValue, Condition, Flow, Workflow } from '../workflow/index.js';
import { BUNDLE_ROOT, LOG_MASK_REGO, POLICY_REGO } from './rego.js';

export interface FlowRuleData {
  readonly methods: readonly string[];
  /** The pattern as written: the Rego reads it with the path module's spelling. */
  readonly path: string;
  /** The model's own alternatives: the spec's spelling, so data diffs read like the spec. */
  readonly when?: readonly Condition[];
  readonly notBefore?: string;
  readonly until?: string;
}

export interface SourceData {
  readonly agent: string;
  /** Only the attributes this agent's conditions read: the sidecar learns nothing else about its callers. */
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly flows: readonly FlowRuleData[];
}

/** `data.custody.agent` of one agent's bundle. */
export interface AgentData {
  readonly workflow: string;
  readonly name: string;
  readonly principal: string;
  readonly timezone: string;
  /** Keyed by the caller's SPIFFE ID: the policy's only lookup. */
  readonly sources: Readonly<Record<string, SourceData>>;
}

export interface BundleManifest {
  readonly roots: readonly string[];
  readonly rego_version: 1;
  /** Who the bundle is for; the bundle server checks a sidecar's credentials against `cluster`. */
  readonly metadata: { readonly workflow: string; readonly agent: string; readonly actor: string; readonly cluster: string; readonly principal: string };
}

export interface AgentPolicy {
  readonly workflow: string;
  readonly agent: string;
  readonly rego: string;
  /** `log.rego`: the decision-log mask the sidecar applies before an event leaves the pod. */
  readonly logMaskRego: string;
  /** The whole `data.json` document. */
  readonly data: { readonly custody: { readonly agent: AgentData } };
  /** `.manifest` without `revision`: the bundle server adds the Git commit it builds from. */
  readonly manifest: BundleManifest;
}

/** One policy per agent, in agent name order. Holds only flows whose destination is that agent. */
export function compileWorkflow(workflow: Workflow): AgentPolicy[] {
  return workflow.agents.map((agent) => compileAgent(workflow, agent));
}

export function compileAgent(workflow: Workflow, agent: Agent): AgentPolicy {
  const bySource = new Map<string, Flow[]>();
  for (const flow of workflow.flows) {
    if (flow.to !== agent.name) continue;
    bySource.set(flow.from, [...(bySource.get(flow.from) ?? []), flow]);
  }
  const sources: Record<string, SourceData> = {};
  for (const caller of workflow.agents) {
    const flows = bySource.get(caller.name);
    if (!flows) continue;
    const read = new Set(flows.flatMap((f) => (f.when ?? []).flatMap((c) => (c.attribute !== undefined ? [c.attribute] : []))));
    const attributes: Record<string, AttributeValue> = {};
    for (const name of [...read].sort()) {
      const value = caller.attributes[name];
      if (value !== undefined) attributes[name] = value;
    }
    sources[caller.principal] = { agent: caller.name, attributes, flows: flows.map(flowRule) };
  }
  return {
    workflow: workflow.name,
    agent: agent.name,
    rego: POLICY_REGO,
    logMaskRego: LOG_MASK_REGO,
    data: {
      custody: {
        agent: { workflow: workflow.name, name: agent.name, principal: agent.principal, timezone: workflow.timezone, sources },
      },
    },
    manifest: {
      roots: [BUNDLE_ROOT],
      rego_version: 1,
      metadata: {
        workflow: workflow.name,
        agent: agent.name,
        actor: agent.actor,
        cluster: workflow.actors.find((a) => a.name === agent.actor)!.cluster.name,
        principal: agent.principal,
      },
    },
  };
}

function flowRule(flow: Flow): FlowRuleData {
  return {
    methods: flow.methods,
    path: flow.path,
    ...(flow.when ? { when: flow.when } : {}),
    ...(flow.notBefore !== undefined ? { notBefore: flow.notBefore } : {}),
    ...(flow.until !== undefined ? { until: flow.until } : {}),
  };
}
