/**
 * What changed for the agents of a workflow: added, removed, renamed (their mesh identity
 * changes), moved to another actor or cluster, and their attributes, image and port.
 */
import type { Agent, Workflow } from '../workflow/index.js';
import { cmp } from '../core/order.js';
import type { AgentChange, AgentChangeKind } from './model.js';
import { agentWords } from './words.js';

const clusterOf = (w: Workflow, a: Agent) => w.actors.find((x) => x.name === a.actor)?.cluster.name ?? '';

export function compareAgents(b: Workflow | undefined, h: Workflow | undefined, renames: ReadonlyMap<string, string>): AgentChange[] {
  const out: Omit<AgentChange, 'text'>[] = [];
  const headAgents = new Map((h?.agents ?? []).map((a) => [a.name, a]));
  const seen = new Set<string>();
  // A workflow added or removed whole says so once; its agents are not listed one by one.
  if (b && h) {
    for (const ba of b.agents) {
      const name = renames.get(ba.name) ?? ba.name;
      const ha = headAgents.get(name);
      if (!ha) {
        out.push({ kind: 'removed', agent: ba.name, actor: ba.actor, cluster: clusterOf(b, ba) });
        continue;
      }
      seen.add(name);
      if (name !== ba.name) out.push({ kind: 'renamed', agent: name, previousName: ba.name, principal: ha.principal });
      const where = (w: Workflow, a: Agent) => `actor ${a.actor} (cluster ${clusterOf(w, a)})`;
      if (where(b, ba) !== where(h, ha))
        out.push({ kind: 'moved', agent: name, before: where(b, ba), after: where(h, ha), actor: ha.actor, cluster: clusterOf(h, ha) });
      const attributes = [...new Set([...Object.keys(ba.attributes), ...Object.keys(ha.attributes)])]
        .sort(cmp)
        .filter((k) => ba.attributes[k] !== ha.attributes[k])
        .map((k) => ({ name: k, ...(k in ba.attributes ? { before: ba.attributes[k]! } : {}), ...(k in ha.attributes ? { after: ha.attributes[k]! } : {}) }));
      if (attributes.length) out.push({ kind: 'attributes', agent: name, attributes });
      if (ba.image !== ha.image) out.push({ kind: 'image', agent: name, before: ba.image, after: ha.image });
      if (ba.port !== ha.port) out.push({ kind: 'port', agent: name, before: String(ba.port), after: String(ha.port) });
    }
    for (const ha of h.agents) {
      if (!seen.has(ha.name)) out.push({ kind: 'added', agent: ha.name, actor: ha.actor, cluster: clusterOf(h, ha), after: ha.image });
    }
  }
  const order: Record<AgentChangeKind, number> = { renamed: 0, added: 1, removed: 2, moved: 3, attributes: 4, image: 5, port: 6 };
  return out.sort((x, y) => order[x.kind] - order[y.kind] || cmp(x.agent, y.agent)).map((c) => ({ ...c, text: agentWords(c) }));
}
