/**
 * A host as peers reach it (an east-west gateway's address): an IP literal or a DNS-1123
 * subdomain. A dotted string of digits is read as an IPv4 address, never as a host name, so a
 * mistyped address ("10.0.0.256") is reported instead of being resolved through DNS.
 */
import { isIP } from 'node:net';

export type AddressKind = 'ipv4' | 'ipv6' | 'dns';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The kind of a valid address, or undefined. */
export function addressKind(address: string): AddressKind | undefined {
  const ip = isIP(address);
  if (ip === 4) return 'ipv4';
  if (ip === 6) return 'ipv6';
  if (/^[0-9.]+$/.test(address)) return undefined;
  if (address.length <= 253 && DNS_SUBDOMAIN.test(address) && address.split('.').every((label) => label.length <= 63)) return 'dns';
  return undefined;
}
