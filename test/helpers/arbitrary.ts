/** fast-check generators of valid workflow documents (plain objects, written out as YAML by the tests). */
import fc from 'fast-check';

const label = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
const clock = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const days = fc.subarray(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], { minLength: 1 });
const instantMs = fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2028, 0, 1) });
const pathArb = fc.tuple(fc.array(fc.stringMatching(/^[a-z0-9_-]{1,6}$/), { minLength: 0, maxLength: 3 }), fc.boolean()).map(([segs, prefix]) => {
  const base = `/${segs.join('/')}`;
  return prefix ? `${base === '/' ? '' : base}/*` : base;
});
const zones = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham'];

export interface WorkflowDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown> & {
    actors: Record<string, { cluster: { name: string }; agents: Record<string, Record<string, unknown>> }>;
    flows: Record<string, unknown>[];
  };
}

/** A valid workflow: 2..6 agents over 1..3 actors, flows with every kind of condition that can hold. */
export const workflowDoc: fc.Arbitrary<WorkflowDoc> = fc
  .record({
    name: label,
    zone: fc.constantFrom(...zones),
    agents: fc.uniqueArray(label, { minLength: 2, maxLength: 6 }),
    actorCount: fc.integer({ min: 1, max: 3 }),
    tenures: fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 6, maxLength: 6 }),
    flowSeeds: fc.array(
      fc.record({
        from: fc.nat(),
        to: fc.nat(),
        methods: fc.subarray(['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], { minLength: 1 }),
        path: pathArb,
        when: fc.option(
          fc.array(
            fc.record({
              hours: fc.option(
                fc.tuple(clock, clock).filter(([a, b]) => a !== b),
                { nil: undefined },
              ),
              days: fc.option(days, { nil: undefined }),
              tenure: fc.option(fc.tuple(fc.constantFrom('greaterThan', 'lessThan', 'atLeast', 'atMost', 'equals'), fc.integer({ min: 0, max: 20 })), {
                nil: undefined,
              }),
            }),
            { minLength: 1, maxLength: 3 },
          ),
          { nil: undefined },
        ),
        validity: fc.option(fc.tuple(instantMs, fc.integer({ min: 1, max: 400 * 86_400_000 })), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 10 },
    ),
  })
  .map(({ name, zone, agents, actorCount, tenures, flowSeeds }) => {
    const actors: WorkflowDoc['spec']['actors'] = {};
    agents.forEach((agent, i) => {
      const actor = `actor${i % actorCount}`;
      actors[actor] ??= { cluster: { name: `cluster${i % 2}` }, agents: {} };
      actors[actor].agents[agent] = { image: `registry.example/${agent}:1.0`, attributes: { tenure: tenures[i]! } };
    });
    const flows = flowSeeds.map((s) => {
      const from = agents[s.from % agents.length]!;
      const to = agents[(s.from + 1 + (s.to % (agents.length - 1))) % agents.length]!;
      const flow: Record<string, unknown> = { from, to, methods: s.methods, path: s.path };
      if (s.when) {
        // Keep at least one alternative free of attribute tests, so that each flow can hold.
        const alternatives = s.when.map((w, k) => {
          const alt: Record<string, unknown> = {};
          if (w.hours) alt.hours = { from: w.hours[0], to: w.hours[1] };
          if (w.days) alt.days = w.days;
          if (w.tenure && k > 0) Object.assign(alt, { attribute: 'tenure', [w.tenure[0]]: w.tenure[1] });
          if (Object.keys(alt).length === 0) alt.days = ['Mon', 'Wed', 'Sat'];
          return alt;
        });
        flow.when = alternatives;
      }
      if (s.validity) {
        flow.notBefore = new Date(s.validity[0]).toISOString();
        flow.until = new Date(s.validity[0] + s.validity[1]).toISOString();
      }
      return flow;
    });
    return {
      apiVersion: 'custody.dev/v1alpha1',
      kind: 'Workflow',
      metadata: { name },
      spec: { owner: 'actor0', timezone: zone, actors, flows },
    };
  });
