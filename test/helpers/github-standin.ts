/**
 * A stand-in for GitHub's REST API on loopback that holds @octokit/rest and itself to GitHub's
 * published OpenAPI description (@octokit/openapi): every request must name a route and method
 * that exist there, with path and query parameters and a JSON body valid against the
 * operation's schemas (ajv), and every response it gives is checked against the operation's
 * response schema for that status. Anything else is a violation, listed in `violations`, which
 * every test asserts empty. Responses start from GitHub's own documented examples, overlaid with
 * the stand-in's state (pull requests, comments, and the account the token belongs to).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import { repoPath } from './paths.js';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export type SpecName = 'api.github.com' | 'ghes-3.19';

interface Operation {
  readonly template: string;
  readonly method: string;
  readonly op: Json;
}

interface Spec {
  readonly doc: Json;
  readonly routes: { regex: RegExp; template: string; names: string[]; literals: number }[];
  readonly ajv: Ajv;
  readonly compiled: Map<string, ValidateFunction>;
}

const specs = new Map<SpecName, Spec>();

/** Loads a description once per process (the dereferenced file: no $ref to resolve). */
function loadSpec(name: SpecName): Spec {
  let spec = specs.get(name);
  if (spec) return spec;
  const doc = JSON.parse(readFileSync(repoPath('node_modules', '@octokit', 'openapi', 'generated', `${name}.deref.json`), 'utf8')) as Json;
  const routes = Object.keys(doc.paths).map((template) => {
    const names: string[] = [];
    const pattern = template
      .split('/')
      .map((seg) => {
        const m = /^\{(.+)\}$/.exec(seg);
        if (m) {
          names.push(m[1]!);
          return '([^/]+)';
        }
        return seg.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      })
      .join('/');
    return { regex: new RegExp(`^${pattern}$`), template, names, literals: template.split('/').filter((s) => s && !s.startsWith('{')).length };
  });
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  ajv.addFormat('uri', {
    validate: (s: string) => {
      try {
        new URL(s);
        return true;
      } catch {
        return false;
      }
    },
  });
  ajv.addFormat('uri-template', true);
  ajv.addFormat('email', /^[^@\s]+@[^@\s]+$/);
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/);
  ajv.addFormat('uuid', /^[0-9a-f-]{36}$/i);
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
  ajv.addFormat('binary', true);
  ajv.addFormat('ipv4', true);
  ajv.addFormat('hostname', true);
  spec = { doc, routes, ajv, compiled: new Map() };
  specs.set(name, spec);
  return spec;
}

function validator(spec: Spec, key: string, schema: Json): ValidateFunction {
  const known = spec.compiled.get(key);
  if (known) return known;
  const v = spec.ajv.compile(schema);
  spec.compiled.set(key, v);
  return v;
}

/** The route of a path: the template with the most literal segments among those that match. */
function matchRoute(spec: Spec, pathname: string): { template: string; params: Record<string, string> } | undefined {
  let best: { template: string; params: Record<string, string>; literals: number } | undefined;
  for (const r of spec.routes) {
    const m = r.regex.exec(pathname);
    if (!m) continue;
    if (best && best.literals >= r.literals) continue;
    best = { template: r.template, params: Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])), literals: r.literals };
  }
  return best && { template: best.template, params: best.params };
}

/** A query or path value (a string on the wire) as its schema's type. */
function coerce(value: string, schema: Json): unknown {
  const type = schema?.type;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  if (type === 'array') return value.split(',');
  return value;
}

const errorsOf = (v: ValidateFunction) =>
  (v.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'missingProperty' in e.params ? ` (${String(e.params.missingProperty)})` : ''}`)
    .join('; ');

export interface Pull {
  number: number;
  title: string;
  body: string | null;
  head: string;
  base: string;
  state: 'open' | 'closed';
  owner: string;
  repo: string;
}

/** A GitHub account: a person (`User`) or an app's or GitHub Actions' bot (`Bot`). */
export interface Account {
  readonly login: string;
  readonly id: number;
  readonly type: 'User' | 'Bot';
}

/** The account a person's token belongs to, unless a test names another. */
export const TOKEN_USER: Account = { login: 'custody-bot', id: 4242, type: 'User' };
/** The account GITHUB_TOKEN writes as in GitHub Actions. */
export const ACTIONS_BOT: Account = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };

export interface Comment {
  id: number;
  issue: number;
  body: string;
  owner: string;
  repo: string;
  created: string;
  updated: string;
  /** Who wrote it; absent: the documented example's author (octocat). */
  user?: Account;
}

export interface StandInOptions {
  readonly token: string;
  /** Served under this path: `/api/v3` for a GitHub Enterprise Server base URL. */
  readonly prefix?: string;
  readonly spec?: SpecName;
  /** The repositories that exist (`owner/name`); others answer 404. Default: any. */
  readonly repositories?: readonly string[];
  /** Whether a branch exists in the repository (GitHub refuses a pull request from a branch it lacks). */
  readonly hasBranch?: (owner: string, repo: string, branch: string) => boolean;
  /**
   * What the token is. `user` (default): a person's token, whose account GET /user gives.
   * `integration`: GITHUB_TOKEN or an app's installation token, for which GET /user answers 403
   * "Resource not accessible by integration".
   */
  readonly tokenKind?: 'user' | 'integration';
  /** The token's account, which writes the comments it creates: default TOKEN_USER for a user token, ACTIONS_BOT for an integration. */
  readonly account?: Account;
}

export interface LoggedCall {
  readonly method: string;
  readonly path: string;
  readonly operationId?: string;
  readonly status: number;
}

export interface GitHubStandIn {
  /** The base URL to give Octokit (`baseUrl`). */
  readonly url: string;
  readonly violations: string[];
  readonly calls: LoggedCall[];
  readonly pulls: Pull[];
  readonly comments: Comment[];
  /** The next response of this operation is broken on purpose (a required field removed), to prove the check works. */
  breakNextResponse(operationId: string): void;
  close(): Promise<void>;
}

const HOST = 'https://github.example';

export async function startGitHubStandIn(options: StandInOptions): Promise<GitHubStandIn> {
  const spec = loadSpec(options.spec ?? 'api.github.com');
  const prefix = options.prefix ?? '';
  const violations: string[] = [];
  const calls: LoggedCall[] = [];
  const pulls: Pull[] = [];
  const comments: Comment[] = [];
  const broken = new Set<string>();
  const tokenKind = options.tokenKind ?? 'user';
  const account = options.account ?? (tokenKind === 'user' ? TOKEN_USER : ACTIONS_BOT);
  let nextId = 1000;
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

  const operation = (template: string, method: string): Operation | undefined => {
    const op = spec.doc.paths[template]?.[method];
    return op ? { template, method, op } : undefined;
  };
  const example = (o: Operation, status: number): Json => {
    const content = o.op.responses[String(status)]?.content?.['application/json'];
    const ex = content?.examples ? (Object.values(content.examples)[0] as { value: Json }).value : content?.example;
    return structuredClone(ex);
  };
  const basicError = (message: string): Json => ({ message, documentation_url: 'https://docs.github.com/rest' });

  const pullObject = (o: Operation, status: number, p: Pull, simple: Json = undefined): Json => {
    const base = simple ?? example(o, status);
    const url = `${HOST}/api/v3/repos/${p.owner}/${p.repo}/pulls/${p.number}`;
    return {
      ...base,
      id: 5000 + p.number,
      number: p.number,
      title: p.title,
      body: p.body,
      state: p.state,
      url,
      html_url: `${HOST}/${p.owner}/${p.repo}/pull/${p.number}`,
      head: { ...base.head, ref: p.head, label: `${p.owner}:${p.head}` },
      base: { ...base.base, ref: p.base, label: `${p.owner}:${p.base}` },
      requested_teams: [],
      requested_reviewers: [],
    };
  };
  /** An account over a documented user object (a simple user in a comment, a private user from GET /user). */
  const accountObject = (base: Json, a: Account): Json => ({
    ...base,
    login: a.login,
    id: a.id,
    type: a.type,
    site_admin: false,
    node_id: Buffer.from(`04:${a.type}${a.id}`).toString('base64'),
    url: `${HOST}/api/v3/users/${encodeURIComponent(a.login)}`,
    html_url: a.type === 'Bot' ? `${HOST}/apps/${a.login.replace(/\[bot\]$/, '')}` : `${HOST}/${a.login}`,
  });
  const commentObject = (o: Operation, status: number, c: Comment, template: Json = undefined): Json => {
    const base = template ?? example(o, status);
    return {
      ...base,
      ...(c.user ? { user: accountObject(base.user, c.user) } : {}),
      id: c.id,
      body: c.body,
      created_at: c.created,
      updated_at: c.updated,
      html_url: `${HOST}/${c.owner}/${c.repo}/pull/${c.issue}#issuecomment-${c.id}`,
      issue_url: `${HOST}/api/v3/repos/${c.owner}/${c.repo}/issues/${c.issue}`,
      url: `${HOST}/api/v3/repos/${c.owner}/${c.repo}/issues/comments/${c.id}`,
    };
  };

  type Reply = { status: number; body?: Json; headers?: Record<string, string> };
  const handlers: Record<string, (o: Operation, p: Record<string, string>, q: URLSearchParams, body: Json) => Reply> = {
    'pulls/create': (o, p, _q, body) => {
      if (options.hasBranch && !options.hasBranch(p.owner!, p.repo!, body.head)) {
        return {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }],
            documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
          },
        };
      }
      if (pulls.some((x) => x.owner === p.owner && x.repo === p.repo && x.head === body.head && x.base === body.base && x.state === 'open')) {
        return {
          status: 422,
          body: {
            message: 'Validation Failed',
            errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${p.owner}:${body.head}.` }],
            documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
          },
        };
      }
      const pull: Pull = {
        number: pulls.length + 1,
        title: body.title,
        body: body.body ?? null,
        head: body.head,
        base: body.base,
        state: 'open',
        owner: p.owner!,
        repo: p.repo!,
      };
      pulls.push(pull);
      return { status: 201, body: pullObject(o, 201, pull) };
    },
    'pulls/list': (o, p, q) => {
      const head = q.get('head');
      const found = pulls.filter(
        (x) =>
          x.owner === p.owner &&
          x.repo === p.repo &&
          (q.get('state') ?? 'open') === x.state &&
          (!head || `${x.owner}:${x.head}` === head) &&
          (!q.get('base') || x.base === q.get('base')),
      );
      const template = example(o, 200)[0];
      return { status: 200, body: found.map((x) => pullObject(o, 200, x, structuredClone(template))) };
    },
    'pulls/update': (o, p, _q, body) => {
      const pull = pulls.find((x) => x.owner === p.owner && x.repo === p.repo && x.number === Number(p.pull_number));
      if (!pull) return { status: 404, body: basicError('Not Found') };
      if (body.title !== undefined) pull.title = body.title;
      if (body.body !== undefined) pull.body = body.body;
      if (body.state !== undefined) pull.state = body.state;
      return { status: 200, body: pullObject(o, 200, pull) };
    },
    'issues/list-comments': (o, p, q) => {
      const all = comments.filter((c) => c.owner === p.owner && c.repo === p.repo && c.issue === Number(p.issue_number));
      const perPage = Number(q.get('per_page') ?? 30);
      const page = Number(q.get('page') ?? 1);
      const template = example(o, 200)[0];
      const headers: Record<string, string> = {};
      if (page * perPage < all.length)
        headers.Link = `<${baseUrl}/repos/${p.owner}/${p.repo}/issues/${p.issue_number}/comments?per_page=${perPage}&page=${page + 1}>; rel="next"`;
      return { status: 200, body: all.slice((page - 1) * perPage, page * perPage).map((c) => commentObject(o, 200, c, structuredClone(template))), headers };
    },
    'users/get-authenticated': (o) => {
      if (tokenKind === 'integration')
        return {
          status: 403,
          body: {
            message: 'Resource not accessible by integration',
            documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
            status: '403',
          },
        };
      return { status: 200, body: accountObject(example(o, 200), account) };
    },
    'issues/create-comment': (o, p, _q, body) => {
      const c: Comment = {
        id: nextId++,
        issue: Number(p.issue_number),
        body: body.body,
        owner: p.owner!,
        repo: p.repo!,
        created: now(),
        updated: now(),
        user: account,
      };
      comments.push(c);
      return { status: 201, body: commentObject(o, 201, c) };
    },
    'issues/update-comment': (o, p, _q, body) => {
      const c = comments.find((x) => x.owner === p.owner && x.repo === p.repo && x.id === Number(p.comment_id));
      if (!c) return { status: 404, body: basicError('Not Found') };
      c.body = body.body;
      c.updated = now();
      return { status: 200, body: commentObject(o, 200, c) };
    },
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = (req.method ?? 'GET').toLowerCase();
      const send = (reply: Reply, o?: Operation) => {
        let body = reply.body;
        if (o && broken.delete(o.op.operationId) && body && typeof body === 'object') {
          body = Array.isArray(body) ? body.map((b: Json) => ({ ...b, id: String(b.id) })) : { ...body, id: 'not-a-number' };
        }
        if (o) checkResponse(o, reply.status, body);
        calls.push({ method: method.toUpperCase(), path: url.pathname, ...(o ? { operationId: o.op.operationId } : {}), status: reply.status });
        res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...(reply.headers ?? {}) });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      const violation = (what: string, status: number, o?: Operation) => {
        violations.push(`${method.toUpperCase()} ${url.pathname}${url.search}: ${what}`);
        calls.push({ method: method.toUpperCase(), path: url.pathname, ...(o ? { operationId: o.op.operationId } : {}), status });
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ message: `stand-in: ${what}`, documentation_url: 'https://docs.github.com/rest' }));
      };
      if (!url.pathname.startsWith(`${prefix}/`)) return violation(`outside the API root ${prefix || '/'}`, 404);
      const route = matchRoute(spec, url.pathname.slice(prefix.length));
      const o = route && operation(route.template, method);
      if (!route || !o) return violation(`no such route in GitHub's OpenAPI description (${options.spec ?? 'api.github.com'})`, 404);
      // Request: parameters, then body, as the description declares them.
      const problems: string[] = [];
      const declared = new Set<string>();
      for (const param of (o.op.parameters ?? []) as Json[]) {
        if (param.in !== 'path' && param.in !== 'query') continue;
        const value = param.in === 'path' ? route.params[param.name] : (url.searchParams.get(param.name) ?? undefined);
        if (param.in === 'query') declared.add(param.name);
        if (value === undefined) {
          if (param.required) problems.push(`missing ${param.in} parameter ${param.name}`);
          continue;
        }
        const v = validator(spec, `${o.op.operationId}#${param.in}:${param.name}`, param.schema ?? {});
        if (!v(coerce(value, param.schema))) problems.push(`${param.in} parameter ${param.name}=${value}: ${errorsOf(v)}`);
      }
      for (const key of url.searchParams.keys()) if (!declared.has(key)) problems.push(`undeclared query parameter ${key}`);
      let body: Json;
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          problems.push('body is not JSON');
        }
      }
      const requestSchema = o.op.requestBody?.content?.['application/json']?.schema;
      if (requestSchema) {
        if (body === undefined && o.op.requestBody.required) problems.push('missing request body');
        else if (body !== undefined) {
          const v = validator(spec, `${o.op.operationId}#request`, requestSchema);
          if (!v(body)) problems.push(`request body: ${errorsOf(v)}`);
        }
      } else if (raw && raw !== '{}') {
        problems.push('a body where the operation takes none');
      }
      if (problems.length) return violation(`request does not match ${o.op.operationId}: ${problems.join('; ')}`, 422, o);
      const auth = req.headers.authorization ?? '';
      if (!/^(token|bearer) /i.test(auth) || auth.slice(auth.indexOf(' ') + 1) !== options.token)
        return send({ status: 401, body: basicError('Bad credentials') }, o);
      if (options.repositories && route.params.owner && !options.repositories.includes(`${route.params.owner}/${route.params.repo}`)) {
        return send({ status: 404, body: basicError('Not Found') }, o);
      }
      const handler = handlers[o.op.operationId];
      if (!handler) return violation(`${o.op.operationId} is a real operation, but Custody is not expected to call it`, 501, o);
      send(handler(o, route.params, url.searchParams, body ?? {}), o);
    });
  });

  // 401 (bad token) and 404 (no such repository, or not visible to the token) are GitHub's answers
  // on every route, though most operations do not list them: both carry the basic error shape.
  const basicErrorSchema = spec.doc.paths['/repos/{owner}/{repo}/pulls'].post.responses['403'].content['application/json'].schema;
  function checkResponse(o: Operation, status: number, body: Json) {
    const documented = o.op.responses[String(status)];
    const generic = status === 401 || status === 404;
    const schema = documented?.content?.['application/json']?.schema ?? (generic ? basicErrorSchema : undefined);
    if (!documented && !generic) {
      violations.push(`response ${status} of ${o.op.operationId} is not documented`);
      return;
    }
    if (!schema) return;
    const v = validator(spec, `${o.op.operationId}#response:${status}`, schema);
    if (!v(body)) violations.push(`response ${status} of ${o.op.operationId} does not match its schema: ${errorsOf(v)}`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`;
  return {
    url: baseUrl,
    violations,
    calls,
    pulls,
    comments,
    breakNextResponse: (operationId) => void broken.add(operationId),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
