/**
 * The summary in words a reviewer reads: "vfx-2 may now POST /api/color to color, Mon–Fri
 * 08:00–17:00 Europe/Paris". One function per kind of change, with a style so that Markdown can
 * set names and paths as code (a path such as `/jobs/*` would otherwise turn into emphasis), and
 * escape every piece of free text a spec carries (attribute names and values, conditions).
 */
import { flowDirection, type Workflow } from '../workflow/index.js';
import { plural } from '../core/text.js';
import type { AccessChange, AgentChange, Participant, SettingChange, WorkflowChange } from './model.js';

export interface Style {
  /** An agent, workflow or other name. */
  name(s: string): string;
  /** A method, path, image or identity: code in Markdown. */
  code(s: string): string;
  /** What changed for the caller: "may now", "may no longer". */
  verb(s: string): string;
  /** Free text: attribute names and values, conditions, anything else a spec's author wrote. */
  text(s: string): string;
}

export const PLAIN: Style = { name: (s) => s, code: (s) => s, verb: (s) => s, text: (s) => s };

export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * Which way the owner's data moves when the grant is used (workflow/direction.ts): a GET's
 * response brings the callee's data to the caller; a POST's body takes the caller's data to the
 * callee, and its response brings some back.
 */
export function dataWords(from: string, to: string, methods: readonly string[], s: Style = PLAIN): string {
  const d = flowDirection({ methods });
  if (d.request && d.response) return `data moves ${s.name(from)} → ${s.name(to)}, and back in responses`;
  if (d.request) return `data moves ${s.name(from)} → ${s.name(to)}`;
  return `data moves ${s.name(to)} → ${s.name(from)}`;
}

export function accessWords(c: Omit<AccessChange, 'text'>, s: Style = PLAIN): string {
  const who = s.name(c.from);
  // A caller that only fetches (GET) takes from the callee; one that sends, sends to it.
  const to = `${flowDirection(c).request ? 'to' : 'from'} ${s.name(c.to)}`;
  const what = `${list(c.methods.map(s.code))} ${s.code(c.path)}`;
  const asWritten = c.written ? ` (as written: ${s.text(c.written)})` : '';
  const when = c.condition ? s.text(c.condition) : undefined;
  const data = `; ${dataWords(c.from, c.to, c.methods, s)}`;
  switch (c.kind) {
    case 'added':
      return `${who} ${s.verb('may now')} ${what} ${to}${when ? `, ${when}` : ''}${asWritten}${data}`;
    case 'removed':
      return `${who} ${s.verb('may no longer')} ${what} ${to}${when ? ` (before: ${when})` : ''}`;
    case 'path':
      return `${who} ${s.verb('may now')} ${what} ${to} instead of ${s.code(c.previousPath ?? '')}${when ? `, ${when}` : ''}${asWritten}${data}`;
    case 'condition':
      return `${who} ${s.verb('may now')} ${what} ${to} ${when ? `only ${when}` : 'at any time'} (before: ${c.previousCondition ? s.text(c.previousCondition) : 'at any time'})${asWritten}${data}`;
  }
}

function value(v: string | number | boolean | undefined): string {
  return v === undefined ? '(none)' : JSON.stringify(v);
}

export function agentWords(c: Omit<AgentChange, 'text'>, s: Style = PLAIN): string {
  const a = s.name(c.agent);
  switch (c.kind) {
    case 'added':
      return `agent ${a} added: actor ${s.name(c.actor ?? '')}, cluster ${s.name(c.cluster ?? '')}, image ${s.code(c.after ?? '')}`;
    case 'removed':
      return `agent ${a} removed (actor ${s.name(c.actor ?? '')}, cluster ${s.name(c.cluster ?? '')})`;
    case 'renamed':
      return `agent ${s.name(c.previousName ?? '')} renamed ${a}: its mesh identity becomes ${s.code(c.principal ?? '')}`;
    case 'moved':
      return `agent ${a} moves from ${s.text(c.before ?? '')} to ${s.text(c.after ?? '')}`;
    case 'attributes':
      return `agent ${a} attributes: ${(c.attributes ?? []).map((x) => `${s.text(x.name)} ${s.text(value(x.before))} → ${s.text(value(x.after))}`).join(', ')}`;
    case 'image':
      return `agent ${a} image: ${s.code(c.before ?? '')} → ${s.code(c.after ?? '')}`;
    case 'port':
      return `agent ${a} port: ${s.text(c.before ?? '')} → ${s.text(c.after ?? '')}`;
  }
}

export function settingWords(setting: SettingChange['setting'], before: string, after: string, s: Style = PLAIN): string {
  switch (setting) {
    case 'owner':
      return `owner: ${s.name(before)} → ${s.name(after)}`;
    case 'timezone':
      return `timezone: ${s.text(before)} → ${s.text(after)} (every hours and days condition is now read in ${s.text(after)})`;
    case 'trustDomain':
      return `trust domain: ${s.code(before)} → ${s.code(after)} (every agent's mesh identity changes)`;
  }
}

/** An organisation of a new workflow: "keeper (owner): cluster archive-jp, region ap-northeast-1; agents …". */
export function participantWords(p: Participant, s: Style = PLAIN): string {
  const where = `cluster ${s.name(p.cluster)}, ${p.region ? `region ${s.name(p.region)}` : 'no region given'}`;
  const agents = p.agents.map((a) => `${s.name(a.name)} (${s.code(a.image)})`);
  return `organisation ${s.name(p.actor)}${p.owner ? ' (owner)' : ''}: ${where}; ${agents.length === 1 ? 'agent' : 'agents'} ${list(agents)}`;
}

/** The workflow as a whole, when it came, went or was renamed; undefined for a change inside it. */
export function workflowWords(c: Pick<WorkflowChange, 'status' | 'workflow' | 'previousName'>, w: Workflow, s: Style = PLAIN): string | undefined {
  switch (c.status) {
    case 'added': {
      const clusters = [...new Set(w.actors.map((a) => a.cluster.name))].sort();
      const regions = [...new Set(w.actors.flatMap((a) => (a.cluster.region ? [a.cluster.region] : [])))].sort();
      return [
        `new workflow ${s.name(c.workflow)}: owner ${s.name(w.owner)}, ${plural(w.agents.length, 'agent')}, ${plural(w.flows.length, 'flow')}`,
        `${w.actors.length === 1 ? 'organisation' : 'organisations'} ${list([...w.actors.map((a) => a.name)].sort().map(s.name))}`,
        `${clusters.length === 1 ? 'cluster' : 'clusters'} ${list(clusters.map(s.name))}`,
        regions.length ? `${regions.length === 1 ? 'region' : 'regions'} ${list(regions.map(s.name))}` : 'no region given',
      ].join('; ');
    }
    case 'removed':
      return `workflow ${s.name(c.workflow)} removed: its ${plural(w.agents.length, 'agent')} lose every flow`;
    case 'renamed':
      return `workflow ${s.name(c.previousName ?? '')} renamed ${s.name(c.workflow)}: its namespace and every agent's mesh identity change`;
    case 'changed':
      return undefined;
  }
}
