/**
 * OPA's status report (UpdateRequestV1) reduced to what the rollout view shows: each field read
 * at its known place, kept only if it has the expected type, strings cut to a bound, errors
 * flattened to code and message. Nothing else of the body is kept, so neither its depth nor its
 * size reaches the view or the server's memory.
 */
import { cut } from '../core/text.js';
import { ServerError } from './errors.js';

export interface SidecarError {
  readonly code?: string;
  readonly message?: string;
}

export interface SidecarStatus {
  readonly instance: string;
  readonly opaVersion?: string;
  readonly activeRevision?: string;
  readonly lastSuccessfulActivation?: string;
  readonly lastRequest?: string;
  readonly error?: { readonly code?: string; readonly message?: string; readonly httpCode?: number; readonly errors?: readonly SidecarError[] };
  readonly receivedAt: string;
}

const TEXT = 1024;
const SHORT = 128;
const ERRORS = 5;

export function sidecarStatus(body: unknown, receivedAt: string): SidecarStatus {
  if (!isObject(body)) throw new ServerError('badRequest', 'a status is a JSON object');
  const labels = isObject(body.labels) ? body.labels : {};
  const bundles = isObject(body.bundles) ? body.bundles : {};
  const first = bundles.custody ?? Object.values(bundles)[0];
  const bundle = isObject(first) ? first : {};
  const id = labels.id;
  if (typeof id === 'string' && id.length > SHORT) throw new ServerError('badRequest', `labels.id is longer than ${SHORT} characters`);
  const code = text(bundle.code, SHORT);
  const message = text(bundle.message, TEXT);
  const httpCode = typeof bundle.http_code === 'number' && Number.isInteger(bundle.http_code) ? bundle.http_code : undefined;
  const errors = Array.isArray(bundle.errors) ? bundle.errors.slice(0, ERRORS).map(flatError) : undefined;
  const opaVersion = text(labels.version, SHORT);
  const activeRevision = text(bundle.active_revision, SHORT);
  const lastSuccessfulActivation = text(bundle.last_successful_activation, SHORT);
  const lastRequest = text(bundle.last_request, SHORT);
  return {
    instance: typeof id === 'string' && id !== '' ? id : 'unknown',
    ...(opaVersion !== undefined ? { opaVersion } : {}),
    ...(activeRevision !== undefined ? { activeRevision } : {}),
    ...(lastSuccessfulActivation !== undefined ? { lastSuccessfulActivation } : {}),
    ...(lastRequest !== undefined ? { lastRequest } : {}),
    ...(code !== undefined || message !== undefined
      ? {
          error: {
            ...(code !== undefined ? { code } : {}),
            ...(message !== undefined ? { message } : {}),
            ...(httpCode !== undefined ? { httpCode } : {}),
            ...(errors ? { errors } : {}),
          },
        }
      : {}),
    receivedAt,
  };
}

function flatError(e: unknown): SidecarError {
  if (typeof e === 'string') return { message: cut(e, TEXT) };
  if (!isObject(e)) return {};
  const code = text(e.code, SHORT);
  const message = text(e.message, TEXT);
  return { ...(code !== undefined ? { code } : {}), ...(message !== undefined ? { message } : {}) };
}

function text(v: unknown, max: number): string | undefined {
  return typeof v === 'string' && v !== '' ? cut(v, max) : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
