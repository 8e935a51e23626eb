/**
 * A real Kubernetes control plane for the tests: etcd and kube-apiserver (built by
 * scripts/install-tools.sh) on loopback, fresh per call, in a temporary folder that stop()
 * removes with the processes. Certificates and the ServiceAccount signing key are made with
 * openssl; the admin is a client certificate in `system:masters`; RBAC is on, as in a real
 * cluster. The pinned Istio, Argo CD and Flux CRDs are installed and Established before it is
 * handed out. No kubelet, scheduler or controller-manager run: objects are stored and admitted,
 * never turned into running pods.
 * One cohesive piece (over the usual length): the certificates, the two processes' flags and their
 * shutdown belong together, since each flag names a file or port made here.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { connect, loadKubeConfig, type ClusterClient, type KubeObject } from '../../src/cluster/client.js';
import { freePort } from '../../src/verify/index.js';
import { repoPath } from './paths.js';

const run = promisify(execFile);

export interface ControlPlane {
  readonly dir: string;
  readonly server: string;
  /** A kubeconfig with one context, named as asked, for the admin. */
  readonly kubeconfig: string;
  readonly context: string;
  /** The ServiceAccount token issuer (`iss`), the API server's own URL. */
  readonly issuer: string;
  readonly caFile: string;
  readonly client: ClusterClient;
  /** Stderr of both processes so far, for a failing test's message. */
  logs(): string;
  stop(): Promise<void>;
}

export function toolBinary(name: string): string {
  const bin = repoPath('.tools', 'bin', name);
  if (!existsSync(bin)) throw new Error(`the real ${name} is needed at ${bin}: run npm run tools`);
  return bin;
}

export const CRD_DIR = repoPath('.tools', 'crds');

async function openssl(dir: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function makePki(dir: string): Promise<void> {
  const ext = (name: string, lines: string) => writeFileSync(path.join(dir, name), lines);
  await openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=custody-test-ca',
  ]);
  ext('server.ext', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  ext('client.ext', 'extendedKeyUsage=clientAuth\n');
  for (const [name, subject, extFile] of [
    ['server', '/CN=kube-apiserver', 'server.ext'],
    ['admin', '/O=system:masters/CN=custody-test-admin', 'client.ext'],
  ] as const) {
    await openssl(dir, [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    ]);
    await openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      extFile,
    ]);
  }
  await openssl(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key']);
  await openssl(dir, ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

function waitReady(server: string, dir: string, deadline: number, alive: () => string | undefined): Promise<void> {
  const attempt = () =>
    new Promise<boolean>((resolve) => {
      const req = request(
        `${server}/readyz`,
        {
          ca: readFileSync(path.join(dir, 'ca.crt')),
          cert: readFileSync(path.join(dir, 'admin.crt')),
          key: readFileSync(path.join(dir, 'admin.key')),
          timeout: 2000,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        },
      );
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  return (async () => {
    for (;;) {
      const dead = alive();
      if (dead) throw new Error(`the control plane stopped while starting: ${dead}`);
      if (await attempt()) return;
      if (Date.now() > deadline) throw new Error('kube-apiserver did not become ready in time');
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
}

/** Every CRD of the pinned files, as JSON objects. */
export function pinnedCrds(): KubeObject[] {
  if (!existsSync(CRD_DIR)) throw new Error(`the pinned CRDs are needed in ${CRD_DIR}: run npm run tools`);
  return readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(path.join(CRD_DIR, f), 'utf8')).map((d) => d.toJS() as KubeObject | null))
    .filter((o): o is KubeObject => o !== null && o?.kind === 'CustomResourceDefinition');
}

export async function installCrds(client: ClusterClient, crds: readonly KubeObject[]): Promise<void> {
  for (const crd of crds) await client.apply(crd);
  const deadline = Date.now() + 60_000;
  for (const crd of crds) {
    for (;;) {
      const live = await client.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd.metadata.name);
      const conditions = (live?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} was not Established in time`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function startControlPlane(options: { context?: string; crds?: boolean } = {}): Promise<ControlPlane> {
  const etcdBin = toolBinary('etcd');
  const apiserverBin = toolBinary('kube-apiserver');
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-kube-'));
  const children: ChildProcess[] = [];
  let log = '';
  const killAll = () =>
    Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const force = setTimeout(() => c.kill('SIGKILL'), 5000);
            c.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
  const stop = async () => {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  };
  // A test runner that dies mid-suite must not leave API servers behind.
  const onExit = () => children.forEach((c) => c.kill('SIGKILL'));
  process.once('exit', onExit);
  const spawnLogged = (bin: string, args: string[]) => {
    const child = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (b: Buffer) => {
      log = (log + b.toString()).slice(-20_000);
    });
    children.push(child);
    return child;
  };
  try {
    await makePki(dir);
    // A free port can be taken by another process (an outgoing connection's ephemeral port, say)
    // between our check and the bind; a start that fails for that reason is tried again on others.
    const launch = async (): Promise<string> => {
      const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
      spawnLogged(etcdBin, [
        '--name=custody',
        `--data-dir=${path.join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=custody=http://127.0.0.1:${peerPort}`,
        // A throwaway store: durability costs seconds of fsync on a busy disk and buys nothing here.
        '--unsafe-no-fsync',
        '--log-level=error',
      ]);
      const server = `https://127.0.0.1:${apiPort}`;
      spawnLogged(apiserverBin, [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${dir}`,
        '--tls-cert-file=server.crt',
        '--tls-private-key-file=server.key',
        '--client-ca-file=ca.crt',
        '--service-account-key-file=sa.pub',
        '--service-account-signing-key-file=sa.key',
        `--service-account-issuer=${server}`,
        '--authorization-mode=RBAC',
        '--service-cluster-ip-range=10.96.0.0/24',
        // Loopback is not an address the default reconciler may publish for the kubernetes Service.
        '--endpoint-reconciler-type=none',
        '--profiling=false',
        '--v=0',
      ]);
      const alive = () =>
        children
          .map((c) =>
            c.exitCode !== null || c.signalCode !== null
              ? `${path.basename(c.spawnfile)} exited (${c.exitCode ?? c.signalCode}): ${log.slice(-2000)}`
              : undefined,
          )
          .find(Boolean);
      await waitReady(server, dir, Date.now() + 90_000, alive);
      return server;
    };
    let server: string;
    for (let attempt = 1; ; attempt++) {
      try {
        server = await launch();
        break;
      } catch (err) {
        if (attempt >= 5 || !/address already in use/.test(log)) throw err;
        await killAll();
        children.length = 0;
        rmSync(path.join(dir, 'etcd'), { recursive: true, force: true });
        log = '';
      }
    }
    const context = options.context ?? 'custody-test';
    const kubeconfig = path.join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: context, cluster: { server, 'certificate-authority': path.join(dir, 'ca.crt') } }],
        users: [{ name: 'admin', user: { 'client-certificate': path.join(dir, 'admin.crt'), 'client-key': path.join(dir, 'admin.key') } }],
        contexts: [{ name: context, context: { cluster: context, user: 'admin' } }],
        'current-context': context,
      }),
    );
    const client = connect(loadKubeConfig({ file: kubeconfig }));
    if (options.crds !== false) await installCrds(client, pinnedCrds());
    return {
      dir,
      server,
      kubeconfig,
      context,
      issuer: server,
      caFile: path.join(dir, 'ca.crt'),
      client,
      logs: () => log,
      stop: async () => {
        process.removeListener('exit', onExit);
        await stop();
      },
    };
  } catch (err) {
    process.removeListener('exit', onExit);
    await stop();
    throw err;
  }
}
