/**
 * The JWS algorithm a key signs and verifies with, told from the key itself. The signer, the
 * sidecars' configuration (`keys.<id>.algorithm`) and the summary's key descriptions must agree,
 * or OPA refuses a bundle that was signed correctly.
 */
import type { KeyObject } from 'node:crypto';

/** EC keys: the curve fixes the algorithm (RFC 7518 3.4); node:crypto names curves the OpenSSL way. */
const CURVES: Readonly<Record<string, 'ES256' | 'ES384' | 'ES512'>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/** The ES* algorithm of a named curve, undefined for a curve OPA cannot verify. */
export function ecAlgorithm(namedCurve: string | undefined): 'ES256' | 'ES384' | 'ES512' | undefined {
  return CURVES[namedCurve ?? ''];
}

/** RSA → RS256 (OPA's default); EC P-256/384/521 → ES256/384/512; undefined for any other key. */
export function algorithmOf(key: KeyObject): 'RS256' | 'ES256' | 'ES384' | 'ES512' | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') return ecAlgorithm(key.asymmetricKeyDetails?.namedCurve);
  return undefined;
}
