/**
 * How many held long polls one server process serves within its descriptor limit. The server
 * runs as `custody serve` in its own process (its open-file limit: inherited, or
 * CAPACITY_NOFILE); this process opens long polls (each its own connection, each authenticated
 * with a valid token, each asking to wait 280 s) until more are open than the server's
 * `maxConnections` allows, then counts those the server holds, and checks that the server's
 * bound held (the surplus was dropped, the server kept answering once some were released).
 * Writes docs/bench/long-poll-capacity.json from a quiet run only (lib.ts's load rule: opening
 * 20,000 connections loads the machine by itself, so the run starts once the load has settled and
 * the load before it is judged; otherwise the results are kept in a temporary file, exit 3).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { RESERVED_DESCRIPTORS, descriptorLimit } from '../src/server/connections.js';
import { sha256Hex } from '../src/server/index.js';
import { LoadLog, ROOT, bundlesRepository, machine, publishIfQuiet } from './lib.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => Promise<boolean> | boolean, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A sample of /metrics; a counter never incremented has no sample: 0. */
async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function main() {
  const { work, repo } = bundlesRepository('custody-capacity-');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = path.join(work, 'signing.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const agents = readdirSync(path.join(repo, 'bundles')).flatMap((w) => readdirSync(path.join(repo, 'bundles', w)).map((a) => `${w}/${a}`));
  const tokens = Object.fromEntries(agents.map((a) => [a, randomBytes(24).toString('base64url')]));
  writeFileSync(path.join(work, 'tokens.json'), JSON.stringify({ agents: Object.fromEntries(agents.map((a) => [a, sha256Hex(tokens[a]!)])), admins: [] }));
  const port = 19300 + Math.floor(Math.random() * 500);
  // The clients stand in for the sidecars of a whole fleet but hold the tokens of the example's
  // agents only: each agent's own bound on connections (default 256) is lifted for them.
  writeFileSync(
    path.join(work, 'server.yaml'),
    `repository: ${repo}\nport: ${port}\npollSeconds: 3600\nsigningKeys: [{ id: bench, file: ${keyFile} }]\ntokensFile: ${path.join(work, 'tokens.json')}\ndecisionLogFile: ${path.join(work, 'd.jsonl')}\nlongPollMaxSeconds: 300\nmaxConnectionsPerAgent: 1000000\n`,
  );
  const serve = [process.execPath, path.join(ROOT, 'bin', 'custody.js'), 'serve', '--config', path.join(work, 'server.yaml')];
  const nofile = process.env.CAPACITY_NOFILE;
  const server = nofile
    ? spawn('sh', ['-c', `ulimit -n ${Number(nofile)} && exec "$@"`, 'sh', ...serve], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(serve[0]!, serve.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  let serverOut = '';
  server.stdout!.on('data', (d: Buffer) => (serverOut += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  const sockets: net.Socket[] = [];
  try {
    await waitFor(() => /serving/.test(serverOut), 20_000, 'the server');
    const serverLimit = descriptorLimit(`/proc/${server.pid}/limits`);
    const ownLimit = descriptorLimit();
    if (!serverLimit || !ownLimit) throw new Error('the open-file limits are read from /proc (Linux)');
    const maxConnections = serverLimit - RESERVED_DESCRIPTORS;
    // Beyond the server's bound, as far as this process's own descriptors allow.
    const target = Math.min(maxConnections + 200, ownLimit - 100);
    const log = new LoadLog(true);
    const measured = await log.measure('open and hold long polls', () => holdLongPolls(target));
    const { quiet, load } = log.verdict();
    const results = {
      benchmark: 'held long polls within the descriptor limit',
      machine: machine(),
      note: 'measured on a shared 2-core machine; the server and the clients run on it together',
      quiet,
      load,
      serverOpenFileLimit: serverLimit,
      maxConnections,
      ...measured,
    };
    console.log(JSON.stringify(results, null, 2));
    publishIfQuiet('long-poll-capacity', results);
  } finally {
    for (const s of sockets) s.destroy();
    server.kill('SIGTERM');
  }

  /** Opens `target` long polls, counts those held, releases 300 and reads the server's own counts. */
  async function holdLongPolls(target: number) {
    const etags = new Map<string, string>();
    for (const a of agents)
      etags.set(a, (await fetch(`${base}/bundles/${a}.tar.gz`, { headers: { authorization: `Bearer ${tokens[a]}` } })).headers.get('etag')!);
    const rssBefore = await metric(base, 'process_resident_memory_bytes');

    const answeredSockets = new Set<net.Socket>();
    const started = Date.now();
    for (let i = 0; i < target; i++) {
      const a = agents[i % agents.length]!;
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.once('data', () => answeredSockets.add(s));
      s.on('connect', () =>
        s.write(
          `GET /bundles/${a}.tar.gz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tokens[a]}\r\nIf-None-Match: ${etags.get(a)}\r\nPrefer: modes=snapshot,delta;wait=280\r\n\r\n`,
        ),
      );
      sockets.push(s);
      if (i % 500 === 499) await sleep(20);
    }
    await sleep(3000);
    const held = sockets.filter((s) => !s.destroyed && !answeredSockets.has(s)).length;
    const answered = answeredSockets.size;
    const closed = sockets.filter((s) => s.destroyed).length;
    const openingSeconds = (Date.now() - started) / 1000;

    // Release some: the server counts the rest as waiting, answers metrics and new sidecars again.
    for (const s of sockets.splice(0, 300)) s.destroy();
    await sleep(1000);
    const waiting = await metric(base, 'custody_long_polls_waiting');
    const rssHeld = await metric(base, 'process_resident_memory_bytes');
    const dropped = await metric(base, 'custody_connections_shed_total\\{reason="connection limit"\\}');
    const shed = await metric(base, 'custody_connections_shed_total\\{reason="unauthenticated budget"\\}');
    const fresh = await fetch(`${base}/bundles/${agents[0]}.tar.gz`, { headers: { authorization: `Bearer ${tokens[agents[0]!]}` } });

    return {
      opened: target,
      heldAtOnce: held,
      answeredEarly: answered,
      closedByServer: closed,
      droppedBeyondMaxConnections: dropped,
      shedFromUnauthenticatedBudget: shed,
      openingSeconds,
      waitingAfterReleasing300: waiting,
      serverRssBytes: { before: rssBefore, held: rssHeld, perHeldPoll: Math.round((rssHeld - rssBefore) / Math.max(1, waiting)) },
      newRequestAfterReleasing: fresh.status,
    };
  }
}

await main();
