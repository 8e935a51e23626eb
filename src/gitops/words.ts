/**
 * The summary in words a reviewer reads: "vfx-2 may now POST /api/color to color, Mon–Fri
 * 08:00–17:00 Europe/Paris". One function per kind of change, with a style so that Markdown can
 * set names and paths as code (a path such as `/jobs/*` would otherwise turn into emphasis).
 */
import type { Workflow } from '../spec/index.js';
import type { AccessChange, AgentChange, SettingChange, WorkflowChange } from './diff.js';

export interface Style {
  /** An agent, workflow or other name. */
  name(s: string): string;
  /** A method, path, image or identity: code in Markdown. */
  code(s: string): string;
  /** What changed for the caller: "may now", "may no longer". */
  verb(s: string): string;
}

export const PLAIN: Style = { name: (s) => s, code: (s) => s, verb: (s) => s };

export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

export function accessWords(c: Omit<AccessChange, 'text'>, s: Style = PLAIN): string {
  const who = s.name(c.from);
  const to = s.name(c.to);
  const what = `${list(c.methods.map(s.code))} ${s.code(c.path)}`;
  const asWritten = c.written ? ` (as written: ${c.written})` : '';
  switch (c.kind) {
    case 'added':
      return `${who} ${s.verb('may now')} ${what} to ${to}${c.condition ? `, ${c.condition}` : ''}${asWritten}`;
    case 'removed':
      return `${who} ${s.verb('may no longer')} ${what} to ${to}${c.condition ? ` (before: ${c.condition})` : ''}`;
    case 'path':
      return `${who} ${s.verb('may now')} ${what} to ${to} instead of ${s.code(c.previousPath ?? '')}${c.condition ? `, ${c.condition}` : ''}${asWritten}`;
    case 'condition':
      return `${who} ${s.verb('may now')} ${what} to ${to} ${c.condition ? `only ${c.condition}` : 'at any time'} (before: ${c.previousCondition ?? 'at any time'})${asWritten}`;
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
      return `agent ${a} moves from ${c.before} to ${c.after}`;
    case 'attributes':
      return `agent ${a} attributes: ${(c.attributes ?? []).map((x) => `${x.name} ${value(x.before)} → ${value(x.after)}`).join(', ')}`;
    case 'image':
      return `agent ${a} image: ${s.code(c.before ?? '')} → ${s.code(c.after ?? '')}`;
    case 'port':
      return `agent ${a} port: ${c.before} → ${c.after}`;
  }
}

export function settingWords(setting: SettingChange['setting'], before: string, after: string, s: Style = PLAIN): string {
  switch (setting) {
    case 'owner':
      return `owner: ${s.name(before)} → ${s.name(after)}`;
    case 'timezone':
      return `timezone: ${before} → ${after} (every hours and days condition is now read in ${after})`;
    case 'trustDomain':
      return `trust domain: ${s.code(before)} → ${s.code(after)} (every agent's mesh identity changes)`;
  }
}

/** The workflow as a whole, when it came, went or was renamed; undefined for a change inside it. */
export function workflowWords(c: Pick<WorkflowChange, 'status' | 'workflow' | 'previousName'>, w: Workflow, s: Style = PLAIN): string | undefined {
  const n = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;
  switch (c.status) {
    case 'added':
      return `new workflow ${s.name(c.workflow)}: owner ${s.name(w.owner)}, ${n(w.agents.length, 'agent')}, ${n(w.flows.length, 'flow')}`;
    case 'removed':
      return `workflow ${s.name(c.workflow)} removed: its ${n(w.agents.length, 'agent')} lose every flow`;
    case 'renamed':
      return `workflow ${s.name(c.previousName ?? '')} renamed ${s.name(c.workflow)}: its namespace and every agent's mesh identity change`;
    case 'changed':
      return undefined;
  }
}
