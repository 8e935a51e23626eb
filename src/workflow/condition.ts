/**
 * `when` conditions, in one shape from the spec to the policy data: an alternative is kept as the
 * spec spells it (`attribute` beside one comparator), which is also what data.json carries and
 * the Rego module reads, so nothing converts it on the way. What an attribute test means is
 * defined here once, for the checker (alternatives that can never hold), the access matrix and
 * the reference evaluator.
 */

/** The value of an agent attribute, which conditions compare. */
export type AttributeValue = number | string | boolean;

export const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Day = (typeof DAYS)[number];

export const COMPARATORS = ['equals', 'greaterThan', 'lessThan', 'atLeast', 'atMost'] as const;
export type Comparator = (typeof COMPARATORS)[number];

export interface HoursWindow {
  /** `HH:MM`, inclusive, as written. */
  readonly from: string;
  /** `HH:MM`, exclusive, as written (`24:00` allowed); before `from` means the window wraps past midnight. */
  readonly to: string;
}

/**
 * One alternative of `when`: every present part must hold. In a checked workflow, `attribute`
 * comes with exactly one comparator and a comparator never comes without it.
 */
export interface Condition {
  readonly hours?: HoursWindow;
  /** Unique, in week order. */
  readonly days?: readonly Day[];
  /** The name of an attribute of the sending agent. */
  readonly attribute?: string;
  readonly equals?: AttributeValue;
  readonly greaterThan?: number;
  readonly lessThan?: number;
  readonly atLeast?: number;
  readonly atMost?: number;
}

/** An alternative's attribute test seen as one value (a view of the condition, not another shape of it). */
export interface AttributeTest {
  readonly name: string;
  readonly comparator: Comparator;
  readonly value: AttributeValue;
}

export function attributeTest(c: Condition): AttributeTest | undefined {
  if (c.attribute === undefined) return undefined;
  const comparator = COMPARATORS.find((k) => c[k] !== undefined);
  return comparator ? { name: c.attribute, comparator, value: c[comparator]! } : undefined;
}

/** The comparison semantics OPA's policy applies (Rego's ==, >, <, >=, <= on numbers). */
export function compareAttribute(comparator: Comparator, actual: AttributeValue, expected: AttributeValue): boolean {
  switch (comparator) {
    case 'equals':
      return actual === expected;
    case 'greaterThan':
      return typeof actual === 'number' && typeof expected === 'number' && actual > expected;
    case 'lessThan':
      return typeof actual === 'number' && typeof expected === 'number' && actual < expected;
    case 'atLeast':
      return typeof actual === 'number' && typeof expected === 'number' && actual >= expected;
    case 'atMost':
      return typeof actual === 'number' && typeof expected === 'number' && actual <= expected;
  }
}

/** Whether the alternative's attribute test (if any) holds for a sender with these attributes; a missing attribute never does. */
export function attributeHolds(c: Condition, attributes: Readonly<Record<string, AttributeValue>>): boolean {
  const test = attributeTest(c);
  if (!test) return true;
  const actual = attributes[test.name];
  return actual !== undefined && compareAttribute(test.comparator, actual, test.value);
}

/**
 * A checked alternative as the model keeps it: only the parts the spec defines, days once each in
 * week order, keys in the spec's order (so equal conditions serialise alike).
 */
export function normalCondition(c: Condition): Condition {
  const test = attributeTest(c);
  return {
    ...(c.hours ? { hours: { from: c.hours.from, to: c.hours.to } } : {}),
    ...(c.days ? { days: [...new Set(c.days)].sort((a, b) => DAYS.indexOf(a) - DAYS.indexOf(b)) } : {}),
    ...(test ? { attribute: test.name, [test.comparator]: test.value } : {}),
  };
}
