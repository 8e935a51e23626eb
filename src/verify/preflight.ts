/**
 * Before any sidecar starts, verify asks the bundle server for every agent's bundle as the
 * sidecar would: a server that cannot be reached, refuses a token or serves no such bundle is an
 * operational failure said in the first seconds (exit 3), never a table of policy mismatches
 * after sidecars waited in vain.
 */
import { bundleResource, KEY_ID_HEADER } from '../contract/index.js';
import { CustodyError } from '../core/errors.js';
import { inParallel } from '../core/parallel.js';
import { readFileSync } from 'node:fs';

export interface PreflightOptions {
  readonly serverUrl: string;
  readonly bundles: readonly { readonly workflow: string; readonly agent: string; readonly tokenPath: string | undefined }[];
  readonly keyId: string;
  /** Per request; default 5 s. */
  readonly timeoutMs?: number;
}

/** Throws a CustodyError (usage: a token is missing; operational: the server fails) or returns when every bundle is served. */
export async function checkServer(o: PreflightOptions): Promise<void> {
  const missing = o.bundles.filter((b) => !b.tokenPath);
  if (missing.length) {
    throw new CustodyError('missing-token', 'usage', `no bundle-server token for ${names(missing)}: their sidecars could not fetch a bundle`, {
      hint: "pass the agents' tokens with --tokens DIR (DIR/<workflow>/<agent>.token), as the server you verify against issued them",
    });
  }
  const timeoutMs = o.timeoutMs ?? 5_000;
  const refused = new Map<number, string[]>();
  await inParallel(o.bundles, 8, async (b) => {
    const url = new URL(bundleResource(b.workflow, b.agent), o.serverUrl.endsWith('/') ? o.serverUrl : `${o.serverUrl}/`);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { authorization: `Bearer ${readFileSync(b.tokenPath!, 'utf8').trim()}`, [KEY_ID_HEADER]: o.keyId },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (cause?.code ?? cause?.message ?? (err as Error).message);
      throw new CustodyError('server-unreachable', 'operational', `cannot reach the bundle server at ${o.serverUrl} (${why}): nothing was verified`, {
        hint: 'start it (custody serve) or pass the URL it listens on with --server',
      });
    }
    await response.body?.cancel();
    if (!response.ok) refused.set(response.status, [...(refused.get(response.status) ?? []), `${b.workflow}/${b.agent}`]);
  });
  const [status, keys] = [...refused].sort(([a], [b]) => a - b)[0] ?? [];
  if (status === undefined) return;
  const which = keys!.length === o.bundles.length ? 'every agent' : names(keys!.map((k) => ({ workflow: k.split('/')[0]!, agent: k.split('/')[1]! })));
  if (status === 401 || status === 403) {
    throw new CustodyError(
      'server-refused',
      'operational',
      `the bundle server at ${o.serverUrl} refused the token of ${which} (HTTP ${status}): nothing was verified`,
      {
        hint: 'pass the tokens this server issued with --tokens DIR (DIR/<workflow>/<agent>.token)',
      },
    );
  }
  if (status === 404) {
    throw new CustodyError(
      'bundle-not-served',
      'operational',
      `the bundle server at ${o.serverUrl} serves no bundle for ${which} (HTTP 404): nothing was verified`,
      {
        hint: 'the server serves another repository or branch, or the workflow is not committed and pushed there: commit it (custody commit), or point --server at the server of this repository',
      },
    );
  }
  throw new CustodyError(
    'server-failed',
    'operational',
    `the bundle server at ${o.serverUrl} failed to serve ${which} (HTTP ${status}): nothing was verified`,
    {
      hint: 'see its log and custody status',
    },
  );
}

function names(bundles: readonly { workflow: string; agent: string }[]): string {
  const shown = bundles
    .slice(0, 3)
    .map((b) => `${b.workflow}/${b.agent}`)
    .join(', ');
  return bundles.length > 3 ? `${shown} and ${bundles.length - 3} more` : shown;
}
