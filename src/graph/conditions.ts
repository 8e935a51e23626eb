/**
 * A flow's conditions as a picture shows them: one short line each, a symbol first so that an eye
 * scanning the arrows tells a time window from an attribute test from an end date without reading.
 * Times are the workflow's local time; the picture's title names the timezone once.
 */
import { attributeTest, type AttributeTest, type Condition, type Day, type Flow } from '../workflow/index.js';

// Symbols with a text presentation that common fonts carry (DejaVu, the system fonts of the big
// platforms): emoji-only ones (an alarm clock, an hourglass) draw as empty boxes without an emoji font.
export const SYMBOLS = { clock: '◷', badge: '◆', start: '↦', end: '⇥', warning: '⚠', owner: '★', cycle: '↻' } as const;

const COMPARATOR = { equals: '=', greaterThan: '>', lessThan: '<', atLeast: '≥', atMost: '≤' } as const;
const WEEK: readonly Day[] = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

export function attributeBadge(a: AttributeTest): string {
  return `${SYMBOLS.badge} ${a.name} ${COMPARATOR[a.comparator]} ${JSON.stringify(a.value)}`;
}

function days(list: readonly Day[]): string {
  const idx = list.map((d) => WEEK.indexOf(d)).sort((a, b) => a - b);
  const contiguous = idx.every((v, i) => i === 0 || v === idx[i - 1]! + 1);
  return idx.length > 2 && contiguous ? `${WEEK[idx[0]!]}–${WEEK[idx.at(-1)!]}` : idx.map((i) => WEEK[i]).join(',');
}

/** One alternative of `when`: its time part behind a clock, its attribute test as a badge. */
export function alternative(c: Condition): string {
  const parts: string[] = [];
  const time = [c.days ? days(c.days) : undefined, c.hours ? `${c.hours.from}–${c.hours.to}` : undefined].filter((p) => p !== undefined);
  if (time.length) parts.push(`${SYMBOLS.clock} ${time.join(' ')}`);
  const test = attributeTest(c);
  if (test) parts.push(attributeBadge(test));
  return parts.join(' ');
}

/** The lines under a flow's method and path: its alternatives (any one suffices), then its validity period. */
export function conditionLines(flow: Pick<Flow, 'when' | 'notBefore' | 'until'>): string[] {
  const lines: string[] = [];
  if (flow.when) lines.push(flow.when.map(alternative).join(' or '));
  if (flow.notBefore !== undefined) lines.push(`${SYMBOLS.start} from ${flow.notBefore}`);
  if (flow.until !== undefined) lines.push(`${SYMBOLS.end} until ${flow.until}`);
  return lines;
}
