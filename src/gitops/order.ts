/** Strings in code-unit order (the default sort's), as a comparator that chains with `||`. */
export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
