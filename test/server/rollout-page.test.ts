/**
 * The rollout page: served with a strict Content-Security-Policy, its data only for an admin, and,
 * in headless chromium against a synthetic rollout of 1,000 agents, every agent shown in its
 * state, grouped by organisation and cluster, filterable, with agent-sent text shown as text.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { registerRolloutPage } from '../../src/server/page/route.js';
import { dumpDom } from '../helpers/chromium.js';
import { startTestServer } from '../helpers/server.js';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

test('the page and its files: strict CSP, nosniff, no framing; the pictures only for an admin', async () => {
  const t = await startTestServer();
  try {
    for (const [at, type] of [
      ['/', 'text/html; charset=utf-8'],
      ['/rollout.js', 'text/javascript; charset=utf-8'],
      ['/rollout.css', 'text/css; charset=utf-8'],
    ] as const) {
      const r = await fetch(`${t.server.url}${at}`);
      assert.is(r.status, 200, at);
      assert.is(r.headers.get('content-type'), type, at);
      assert.is(r.headers.get('content-security-policy'), CSP, at);
      assert.is(r.headers.get('x-content-type-options'), 'nosniff', at);
      assert.is(r.headers.get('x-frame-options'), 'DENY', at);
      assert.is(r.headers.get('cache-control'), 'no-store', at);
    }
    const html = await (await fetch(`${t.server.url}/`)).text();
    // Nothing inline, nothing from elsewhere: the CSP would refuse it anyway.
    assert.not.match(html, /<script>|<style|\sstyle=|\son[a-z]+=|https?:/);

    const pictures = `${t.server.url}/api/rollout/pictures`;
    assert.is((await fetch(pictures)).status, 401);
    assert.is((await fetch(pictures, { headers: { authorization: `Bearer ${t.tokens['movie-post-production/color']}` } })).status, 403);
    const r = await fetch(pictures, { headers: { authorization: `Bearer ${t.adminToken}` } });
    assert.is(r.status, 200);
    assert.is(r.headers.get('content-security-policy'), CSP);
    const body = (await r.json()) as {
      commit: string;
      workflows: { name: string; svg?: string; agents: { name: string; organisation: string; cluster: string; node: string }[] }[];
      invalid: string[];
    };
    assert.is(body.commit, t.server.catalog.status().head!.commit);
    assert.equal(
      body.workflows.map((w) => w.name),
      ['clinical-trial-analysis', 'movie-post-production'],
    );
    assert.equal(body.invalid, []);
    const movie = body.workflows[1]!;
    assert.equal(
      movie.agents.map((a) => `${a.name} ${a.organisation} ${a.cluster} ${a.node}`),
      [
        'color color color-central a0',
        'hdr hdr hdr-west a1',
        'owner studio studio-central a2',
        'sound sound sound-west a3',
        'vfx-1 vfx vfx-central a4',
        'vfx-2 vfx vfx-central a5',
        'vfx-3 vfx vfx-central a6',
      ],
    );
    assert.match(movie.svg!, /<title>a0<\/title>\n<path[^>]*\/>\n<text[^>]*>color<\/text>/);
  } finally {
    await t.server.close();
  }
});

const ORGS = 10;
const PER_ORG = 100;
const COMMIT = 'c'.repeat(40);
const OLD = 'b'.repeat(40);
const STATES = ['in-sync', 'behind', 'error', 'never'] as const;
const HOSTILE_PATH = '/x<img src=x onerror=alert(1)>';
const HOSTILE_MESSAGE = '<b>bold</b> & "quoted"';

const name = (o: number, i: number) => `o${o}-agent-${String(i).padStart(3, '0')}`;

/** One workflow of 1,000 agents: ten organisations, each with its cluster and 100 agents. */
function bigSpec(): string {
  const lines = ['apiVersion: custody.dev/v1alpha1', 'kind: Workflow', 'metadata: { name: big }', 'spec:', '  owner: o0', '  actors:'];
  for (let o = 0; o < ORGS; o++) {
    lines.push(`    o${o}:`, `      cluster: { name: c-${o} }`, '      agents:');
    for (let i = 0; i < PER_ORG; i++) lines.push(`        ${name(o, i)}: { image: registry.example/a:1 }`);
  }
  lines.push('  flows:');
  for (let o = 1; o < ORGS; o++)
    lines.push(
      `    - { from: ${name(0, 0)}, to: ${name(o, 0)}, methods: [POST], path: /in }`,
      `    - { from: ${name(o, 0)}, to: ${name(0, 0)}, methods: [POST], path: /out }`,
    );
  return `${lines.join('\n')}\n`;
}

/** The rollout view: agent k (in name order) is in sync, behind, in error or never reported as k mod 4. */
function bigView() {
  const agents = [];
  let k = 0;
  for (let o = 0; o < ORGS; o++) {
    for (let i = 0; i < PER_ORG; i++, k++) {
      const state = STATES[k % 4]!;
      const sidecar = {
        instance: 'opa-1',
        receivedAt: '2026-05-01T10:00:00.000Z',
        activeRevision: state === 'behind' ? OLD : COMMIT,
        ...(state === 'error' ? { error: { code: 'bundle_error', message: HOSTILE_MESSAGE } } : {}),
      };
      agents.push({
        workflow: 'big',
        agent: name(o, i),
        served: { revision: COMMIT, builtAt: '2026-05-01T09:00:00.000Z' },
        sidecars: state === 'never' ? [] : [sidecar],
        ...(k === 0 ? { moreSidecars: { kept: 64, lastDroppedAt: '2026-05-01T10:00:00.000Z' } } : {}),
        inSync: state === 'in-sync',
        recentDenials:
          k === 4
            ? [
                {
                  decisionId: 'd1',
                  timestamp: '2026-05-01T10:00:01Z',
                  source: 'spiffe://x/ns/big/sa/o0-agent-001',
                  method: 'GET',
                  path: HOSTILE_PATH,
                  revision: COMMIT,
                },
              ]
            : [],
      });
    }
  }
  return { repository: 'big.git', branch: 'main', head: { commit: COMMIT, commitTime: 0, at: '2026-05-01T09:00:00.000Z' }, agents };
}

async function bigServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  const requireAdmin = (req: Request, res: Response, next: NextFunction) =>
    req.headers.authorization === 'Bearer admin-secret' ? next() : res.status(401).json({ code: 'unauthenticated' });
  const view = bigView();
  app.get('/api/rollout', requireAdmin, (_req, res) => {
    res.json(view);
  });
  registerRolloutPage(app, {
    requireAdmin,
    count: () => (_req, _res, next) => next(),
    head: () => COMMIT,
    source: { folderFiles: async () => new Map([['big.yaml', bigSpec()]]) },
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

test('1,000 agents in chromium: each in its state, grouped by organisation and cluster, agent text as text; filtered from the address', async () => {
  const s = await bigServer();
  try {
    // Without a token: the form, and no data.
    const locked = await dumpDom(`${s.url}/`, [], 3000);
    assert.match(locked, /<form id="login">/);
    assert.is(count(locked, /<tr class="agent/g), 0);

    const dom = await dumpDom(`${s.url}/#token=admin-secret`, [], 6000);
    assert.is(count(dom, /<tr class="agent state-/g), 1000);
    for (const state of STATES)
      assert.is(count(dom, new RegExp(`<tr class="agent state-${state}" data-agent="big/[^"]+" data-state="${state}">`, 'g')), 250, state);
    for (let o = 0; o < ORGS; o++) {
      assert.is(count(dom, new RegExp(`<h3>o${o}</h3><h4>cluster c-${o}</h4>`, 'g')), 1, `o${o}`);
      for (const i of [0, 1, 2, 3, 99]) assert.match(dom, `<td class="agent-name">${name(o, i)}</td>`);
    }
    assert.match(
      dom,
      '<tr class="agent state-in-sync" data-agent="big/o0-agent-000" data-state="in-sync"><td class="agent-name">o0-agent-000</td><td class="state">in sync</td><td>cccccccccccc</td><td>cccccccccccc</td>',
    );
    assert.match(
      dom,
      '<tr class="agent state-behind" data-agent="big/o0-agent-001" data-state="behind"><td class="agent-name">o0-agent-001</td><td class="state">behind</td><td>cccccccccccc</td><td>bbbbbbbbbbbb</td>',
    );
    assert.match(dom, '<td class="problem">sidecar opa-1: &lt;b&gt;bold&lt;/b&gt; &amp; "quoted"</td>');
    assert.match(dom, '<td class="state">never reported</td>');
    assert.match(
      dom,
      '<td class="problem">more than 64 sidecars reported within the hour: the 64 heard from most recently are shown</td></tr><tr class="agent state-behind" data-agent="big/o0-agent-001"',
      'named on its own row only',
    );
    assert.match(
      dom,
      '<span class="chip state-in-sync">250 in sync</span><span class="chip state-behind">250 behind</span><span class="chip state-error">250 error</span><span class="chip state-never">250 never reported</span>',
    );
    assert.match(dom, '1000 agents: too many to draw; every one is listed below.');
    // The denial, its path as text: no element comes of it.
    assert.match(dom, '<tr class="denial"><td>2026-05-01T10:00:01Z</td><td>big/o0-agent-004</td><td>GET /x&lt;img src=x onerror=alert(1)&gt;</td>');
    assert.not.match(dom, /<img|<b>/);
    // The token is nowhere in the page (the script took it from the fragment into session storage).
    assert.not.match(dom, 'admin-secret');

    const filtered = await dumpDom(`${s.url}/?state=error&filter=o3-#token=admin-secret`, [], 6000);
    assert.is(count(filtered, /<tr class="agent state-/g), 25);
    assert.is(count(filtered, /<tr class="agent state-error" data-agent="big\/o3-agent-/g), 25);
    assert.match(filtered, '<span id="shown">25 of 1000 shown</span>');
  } finally {
    await s.close();
  }
});

test.run();
