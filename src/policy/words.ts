/** Conditions in words, for matrices, warnings and pull-request summaries. */
import { attributeTest, type AttributeTest, type Condition, type Flow } from '../workflow/index.js';

const SYMBOL = { equals: '=', greaterThan: '>', lessThan: '<', atLeast: '≥', atMost: '≤' } as const;

export function attributeInWords(a: AttributeTest): string {
  return `${a.name} ${SYMBOL[a.comparator]} ${JSON.stringify(a.value)}`;
}

export function conditionInWords(c: Condition, timezone: string): string {
  const when: string[] = [];
  if (c.days) when.push(daysInWords(c.days));
  if (c.hours) when.push(`${c.hours.from}–${c.hours.to} ${timezone}`);
  const parts = when.length ? [when.join(' ')] : [];
  const test = attributeTest(c);
  if (test) parts.push(attributeInWords(test));
  return parts.length ? parts.join(' and ') : 'always';
}

function daysInWords(days: readonly string[]): string {
  const week = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const idx = days.map((d) => week.indexOf(d)).sort((a, b) => a - b);
  const contiguous = idx.every((v, i) => i === 0 || v === idx[i - 1]! + 1);
  if (idx.length > 2 && contiguous) return `${week[idx[0]!]}–${week[idx.at(-1)!]}`;
  return idx.map((i) => week[i]).join(', ');
}

/** The whole condition of a flow (its alternatives and validity period), or undefined when it has none. */
export function flowConditionInWords(flow: Pick<Flow, 'notBefore' | 'until'> & { readonly when?: readonly Condition[] }, timezone: string): string | undefined {
  const parts: string[] = [];
  if (flow.when) {
    const alternatives = flow.when.map((c) => conditionInWords(c, timezone));
    parts.push(alternatives.length > 1 ? `(${alternatives.join(' or ')})` : alternatives[0]!);
  }
  if (flow.notBefore) parts.push(`from ${flow.notBefore}`);
  if (flow.until) parts.push(`until ${flow.until}`);
  return parts.length ? parts.join(', ') : undefined;
}
