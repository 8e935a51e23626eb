/**
 * Who may read /metrics. It tells how many sidecars poll, how often they are refused, how the
 * process is doing: not for everyone who can reach the server. `local` (the default): callers on
 * the loopback interface (a scraper beside the server), or with an admin token; `admin`: an admin
 * token only (use it when a proxy in the same pod makes every caller look local); `open`: anyone.
 */
import { isIP } from 'node:net';

export const METRICS_ACCESS = ['local', 'admin', 'open'] as const;
export type MetricsAccess = (typeof METRICS_ACCESS)[number];

/** 127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(address) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(address);
}
