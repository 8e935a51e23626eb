/**
 * Sending a generated tree to a cluster with server-side apply, as Argo CD (ServerSideApply=true)
 * and Flux do: namespaces first, every object under the field manager `custody`, and what the API
 * server said about each (accepted, its warnings, or the refusal).
 */
import { describeObject, type ClusterClient, type KubeObject } from './client.js';
import { ClusterError } from './errors.js';
import { applyOrder } from './tree.js';

export interface AppliedObject {
  readonly object: string;
  readonly warnings: readonly string[];
  /** The live object as stored (or as it would be, on a dry run). */
  readonly live?: KubeObject;
  /** Why the API server refused it. */
  readonly error?: string;
}

export async function applyObjects(
  client: ClusterClient,
  objects: readonly KubeObject[],
  options: { dryRun?: boolean; force?: boolean } = {},
): Promise<AppliedObject[]> {
  const out: AppliedObject[] = [];
  for (const o of applyOrder(objects)) {
    try {
      const { object, warnings } = await client.apply(o, options);
      out.push({ object: describeObject(o), warnings, live: object });
    } catch (err) {
      // Refused, or of a kind this server does not serve: this object's failure, the others still go.
      if (!(err instanceof ClusterError) || (err.code !== 'api-rejected' && err.code !== 'kind-not-served')) throw err;
      out.push({ object: describeObject(o), warnings: [], error: err.message });
    }
  }
  return out;
}
