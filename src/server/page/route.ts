/**
 * The rollout page: a read-only page at `/` that shows, live, what every agent's sidecar enforces.
 * The page itself (HTML, CSS, script, served from this folder) holds no data and no secret, so it
 * is served to anyone; everything it shows comes from the admin-only API (`/api/rollout`, and
 * `/api/rollout/pictures` here), which its script calls with the admin token as a bearer header.
 * The token never travels in a URL the server sees, nor in a cookie (no cross-site request can
 * carry it): see docs/server.md. Every response has a strict Content-Security-Policy: the page
 * runs only its own script, loads nothing from elsewhere and cannot be framed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { WORKFLOWS_DIR } from '../../contract/index.js';
import { ConfigError, ServerError } from '../errors.js';
import type { GitSource } from '../source.js';
import { PictureCache } from './pictures.js';

export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The page's files, by the path they are served at. */
const ASSETS: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/rollout.js': { file: 'rollout.js', type: 'text/javascript; charset=utf-8' },
  '/rollout.css': { file: 'rollout.css', type: 'text/css; charset=utf-8' },
};

export interface RolloutPageOptions {
  /** Lets only an admin through (as for `/api/rollout`). */
  readonly requireAdmin: RequestHandler;
  readonly count: (route: string) => RequestHandler;
  /** The commit the server serves now, once the repository was read. */
  readonly head: () => string | undefined;
  /** Where the workflow specs of a commit are read from. */
  readonly source: Pick<GitSource, 'folderFiles'>;
}

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('content-security-policy', PAGE_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cache-control', 'no-store');
  next();
}

/** Read once at start: the build copies them beside the compiled module (scripts/copy-assets.mjs). */
function readAssets(): Map<string, Buffer> {
  const dir = fileURLToPath(new URL('.', import.meta.url));
  const out = new Map<string, Buffer>();
  for (const [at, { file }] of Object.entries(ASSETS)) {
    try {
      out.set(at, readFileSync(`${dir}${file}`));
    } catch (err) {
      throw new ConfigError(`the rollout page's ${file} is missing beside ${dir} (${(err as NodeJS.ErrnoException).code}): run npm run build`);
    }
  }
  return out;
}

export function registerRolloutPage(app: Express, options: RolloutPageOptions): void {
  const assets = readAssets();
  const pictures = new PictureCache((commit) => options.source.folderFiles(commit, WORKFLOWS_DIR));
  for (const [at, { type }] of Object.entries(ASSETS)) {
    app.get(at, options.count('page'), securityHeaders, (_req, res) => {
      res.type(type).send(assets.get(at));
    });
  }
  app.get('/api/rollout/pictures', options.count('rollout-pictures'), securityHeaders, options.requireAdmin, async (_req, res, next) => {
    try {
      const commit = options.head();
      if (!commit) throw new ServerError('unavailable', 'the repository has not been read yet');
      res.json(await pictures.at(commit));
    } catch (err) {
      next(err);
    }
  });
}
