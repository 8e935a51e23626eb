/** Parsing of the spec's time formats, exact to the nanosecond, matching what OPA's Go time functions accept. */

const CLOCK = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

/** Minutes after local midnight for `HH:MM`; `24:00` only where `allowEndOfDay`. */
export function parseClock(text: string, allowEndOfDay = false): number | undefined {
  if (allowEndOfDay && text === '24:00') return 24 * 60;
  const m = CLOCK.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

// Upper-case T and Z only: Go's time.RFC3339 layout, which OPA's time.parse_rfc3339_ns uses, rejects the lower-case forms.
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/;

// OPA keeps instants as int64 nanoseconds since the epoch: years 1678..2262 only. Keep well inside.
const MIN_YEAR = 1970;
const MAX_YEAR = 2261;

/** Nanoseconds since the Unix epoch, or a reason why `text` is not an RFC 3339 instant OPA can use. */
export function parseInstant(text: string): { ns: bigint } | { error: string } {
  const m = INSTANT.exec(text);
  if (!m) return { error: 'is not an RFC 3339 instant like 2027-03-31T00:00:00Z' };
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (year < MIN_YEAR || year > MAX_YEAR) return { error: `has year ${year}, outside ${MIN_YEAR}..${MAX_YEAR}` };
  if (month < 1 || month > 12) return { error: `has month ${month}` };
  if (day < 1 || day > daysInMonth(year, month)) return { error: `has day ${day}, not in ${year}-${String(month).padStart(2, '0')}` };
  if (hour > 23 || minute > 59 || second > 59) return { error: 'has a time of day out of range' };
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return { error: 'has a UTC offset out of range' };
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const fraction = m[7] ? BigInt(m[7].slice(1).padEnd(9, '0')) : 0n;
  const epochSeconds = BigInt(Date.UTC(year, month - 1, day, hour, minute, second) / 1000) - BigInt(offsetMinutes * 60);
  return { ns: epochSeconds * 1_000_000_000n + fraction };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const zoneCache = new Map<string, boolean>();

/** Whether `name` is an IANA timezone (the database Node's ICU and Go's time package share). */
export function isTimezone(name: string): boolean {
  let ok = zoneCache.get(name);
  if (ok === undefined) {
    // "Local" means the machine's zone in Go: never what a spec means, and not stable across clusters.
    ok = name !== 'Local' && /^[A-Za-z0-9_+\-/]+$/.test(name) && canFormatIn(name);
    zoneCache.set(name, ok);
  }
  return ok;
}

function canFormatIn(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export function timezoneNames(): string[] {
  return Intl.supportedValuesOf('timeZone');
}
