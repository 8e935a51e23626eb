/**
 * The spec's semantics, evaluated in TypeScript from the workflow itself: the reference the real
 * OPA decisions are tested against, and what `matrix --at` uses. Independent of the Rego module on
 * purpose (Node's ICU time zones here, Go's time package in OPA), so a test comparing the two
 * checks the compiler, not the compiler against itself.
 */
import {
  attributeHolds,
  isPlainPath,
  matches,
  parseClock,
  parseInstant,
  parsePathPattern,
  type Condition,
  type Day,
  type Flow,
  type Workflow,
} from '../workflow/index.js';

export interface AccessRequest {
  /** The caller's SPIFFE ID; absent for plaintext traffic. */
  readonly principal?: string;
  /** The destination agent (whose sidecar decides). */
  readonly to: string;
  readonly method: string;
  /** As Envoy gives it: may carry a query string. */
  readonly path: string;
}

export function decide(workflow: Workflow, request: AccessRequest, atNs: bigint): boolean {
  const source = workflow.agents.find((a) => a.principal === request.principal);
  if (!source) return false;
  const path = request.path.split('?')[0] ?? '';
  if (!isPlainPath(path)) return false;
  return workflow.flows.some(
    (f) =>
      f.from === source.name &&
      f.to === request.to &&
      f.methods.includes(request.method) &&
      matches(parsePathPattern(f.path), path) &&
      inValidity(f, atNs) &&
      conditionsHold(workflow, f, atNs),
  );
}

export function inValidity(flow: Flow, atNs: bigint): boolean {
  if (flow.notBefore !== undefined && atNs < instant(flow.notBefore)) return false;
  if (flow.until !== undefined && atNs >= instant(flow.until)) return false;
  return true;
}

function conditionsHold(workflow: Workflow, flow: Flow, atNs: bigint): boolean {
  if (!flow.when) return true;
  const source = workflow.agents.find((a) => a.name === flow.from);
  return flow.when.some((c) => alternativeHolds(c, source?.attributes ?? {}, workflow.timezone, atNs));
}

export function alternativeHolds(c: Condition, attributes: Readonly<Record<string, number | string | boolean>>, timezone: string, atNs: bigint): boolean {
  if (c.hours || c.days) {
    const local = localClock(atNs, timezone);
    if (c.hours && !inWindow(local.minute, parseClock(c.hours.from)!, parseClock(c.hours.to, true)!)) return false;
    if (c.days && !c.days.includes(local.day)) return false;
  }
  return attributeHolds(c, attributes);
}

/** `from` inclusive, `to` exclusive; `to` before `from` wraps past midnight. */
export function inWindow(minute: number, from: number, to: number): boolean {
  return from < to ? from <= minute && minute < to : from > to ? minute >= from || minute < to : false;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Local wall-clock minute of the day and weekday at an instant, with the IANA database's DST rules. */
export function localClock(atNs: bigint, timezone: string): { minute: number; day: Day } {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', weekday: 'short' });
    formatters.set(timezone, f);
  }
  // Floor to the millisecond: a clock minute never changes inside one.
  const ms = Number(atNs / 1_000_000n) - (atNs % 1_000_000n < 0n ? 1 : 0);
  const parts = f.formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { minute: Number(get('hour')) * 60 + Number(get('minute')), day: get('weekday') as Day };
}

function instant(text: string): bigint {
  const parsed = parseInstant(text);
  if ('error' in parsed) throw new Error(`internal: unchecked instant ${text}`);
  return parsed.ns;
}
