/**
 * Reading the branch head: one refresh at a time (a request for another while one runs makes it
 * run once more, so no commit is missed), then what changed said once. A build error, an
 * unreadable repository or a folder that is not served is logged when it appears or changes and
 * once when it ends, not on every poll; what agents removed from Git reported is forgotten.
 */
import { Catalog } from './catalog.js';
import type { Observations } from './observe.js';
import { ChangeLog } from './server-log.js';

export function createRefresher(deps: {
  catalog: Catalog;
  observations: Observations;
  logger: { info(m: string): void; error(m: string): void };
}): () => Promise<string[]> {
  const { catalog, observations, logger } = deps;
  const changes = new ChangeLog(
    (m) => logger.error(m),
    (m) => logger.info(m),
  );
  let refreshing: Promise<string[]> | undefined;
  let again = false;

  const report = (changed: string[]) => {
    const s = catalog.status();
    const short = (r: string) => r.slice(0, 12);
    changes.set('repository', s.lastError?.message, 'the repository is readable again');
    const keys = new Set<string>();
    for (const e of catalog.all()) {
      const key = Catalog.key(e.workflow, e.agent);
      keys.add(key);
      changes.set(
        `build ${key}`,
        e.failure
          ? `${key}: build failed at ${short(e.failure.revision)}: ${e.failure.message}; still serving ${e.revision ? short(e.revision) : 'nothing'}`
          : undefined,
        `${key} builds again at ${short(e.revision)}`,
      );
    }
    changes.keepOnly(keys, 'build ');
    const skipped = new Set<string>();
    for (const f of catalog.skipped()) {
      skipped.add(f.path);
      changes.set(`skipped ${f.path}`, `${f.path} ${f.reason}`);
    }
    changes.keepOnly(skipped, 'skipped ');
    observations.keepOnly(keys);
    if (changed.length) logger.info(`revision ${s.head ? short(s.head.commit) : '?'}: rebuilt ${changed.length} bundle(s): ${changed.join(', ')}`);
  };

  return async function refresh(): Promise<string[]> {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      const changed: string[] = [];
      do {
        again = false;
        changed.push(...(await catalog.refresh()));
      } while (again);
      return changed;
    })();
    try {
      const changed = await refreshing;
      report(changed);
      return changed;
    } finally {
      refreshing = undefined;
    }
  };
}
