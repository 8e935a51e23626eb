/**
 * Conftest-style rules over the rendered objects, for the examples and the variant: the controls
 * every namespace must have, the agreement of both ends of every flow (receiver's ALLOW, sender's
 * egress host, both NetworkPolicies), no shared volume, no secret, pinned images, hardened pods.
 */
import { SERVER_HOST, SERVER_NAME, SYSTEM_NAMESPACE } from '../../src/contract/index.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { manifestFiles, names, topology, type KubeObject, type ManifestInputs } from '../../src/manifests/index.js';
import { parse } from 'yaml';
import type { Workflow } from '../../src/workflow/index.js';
import { exampleWorkflows, loadOne } from '../helpers/workflows.js';
import { exampleInputs, isKustomization } from './helpers.js';
import { VARIANT } from './variant.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = KubeObject & Record<string, any>;

interface Tree {
  files: Map<string, Obj>;
  objects: Obj[];
}

function tree(workflows: readonly Workflow[], inputs: ManifestInputs): Tree {
  const files = new Map<string, Obj>();
  for (const [p, o] of manifestFiles(workflows, inputs)) if (!isKustomization(o as never)) files.set(p, o as Obj);
  return { files, objects: [...files.values()] };
}

/** The objects of one cluster's tree, in one namespace. */
const inCluster = (t: Tree, cluster: string, ns?: string) =>
  [...t.files.entries()]
    .filter(
      ([p, o]) =>
        p.startsWith(`clusters/${cluster}/`) && (ns === undefined || o.metadata?.namespace === ns || (o.kind === 'Namespace' && o.metadata?.name === ns)),
    )
    .map(([, o]) => o);
const find = (objs: Obj[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata?.name === name);

/**
 * The Pod Security level each cluster's workflow namespaces enforce, written out: restricted with
 * the Istio CNI plugin, privileged without it (only the variant's lab-main says istioCni: false).
 */
const ENFORCE: Readonly<Record<string, string>> = {
  'color-central': 'restricted',
  'hdr-west': 'restricted',
  'shared-eu': 'restricted',
  'site-boston': 'restricted',
  'sound-west': 'restricted',
  'sponsor-prod': 'restricted',
  'studio-central': 'restricted',
  'vfx-central': 'restricted',
  'lab-main': 'privileged',
  'remote-east': 'restricted',
};

/** The Istio `paths` of the ALLOW rule of every flow path of the examples and the variant, written out. */
const ISTIO_PATHS: Readonly<Record<string, readonly string[]>> = {
  '/api/vfx-1': ['/api/vfx-1'],
  '/api/vfx-2': ['/api/vfx-2'],
  '/api/vfx-3': ['/api/vfx-3'],
  '/api/color': ['/api/color'],
  '/api/sound': ['/api/sound'],
  '/api/hdr': ['/api/hdr'],
  '/api/owner': ['/api/owner'],
  '/protocol/*': ['/protocol', '/protocol/*'],
  '/samples': ['/samples'],
  '/runs/*': ['/runs', '/runs/*'],
  '/results': ['/results'],
  '/analyses': ['/analyses'],
  '/analyses/*': ['/analyses', '/analyses/*'],
  '/alerts/*': ['/alerts', '/alerts/*'],
  '/objects/*': ['/objects', '/objects/*'],
  '/review': ['/review'],
  '/status/*': ['/status', '/status/*'],
  '/jobs': ['/jobs'],
  '/*': ['/*'],
};

function checkAll(workflows: readonly Workflow[], inputs: ManifestInputs) {
  const t = tree(workflows, inputs);
  const topo = topology(workflows);

  for (const cluster of topo.clusters) {
    for (const placement of cluster.placements) {
      const w = placement.workflow;
      const objs = inCluster(t, cluster.name, w.name);
      const where = `${cluster.name}/${w.name}`;
      // Every workflow namespace: deny-all, STRICT mTLS, REGISTRY_ONLY, default-deny NetworkPolicy, OPA CUSTOM.
      const ns = find(objs, 'Namespace', w.name)!;
      assert.ok(ns, `${where}: Namespace`);
      assert.is(ns.metadata!.labels!['istio-injection'], 'enabled');
      assert.ok(cluster.name in ENFORCE, `no expected Pod Security level for cluster ${cluster.name}`);
      assert.is(ns.metadata!.labels!['pod-security.kubernetes.io/enforce'], ENFORCE[cluster.name], `${where}: enforced level`);
      assert.is(ns.metadata!.labels!['pod-security.kubernetes.io/warn'], 'restricted');
      assert.equal(find(objs, 'AuthorizationPolicy', 'deny-all')?.spec, {}, `${where}: deny-all`);
      const custom = find(objs, 'AuthorizationPolicy', 'opa-ext-authz');
      assert.equal(
        [custom?.spec.action, custom?.spec.provider.name, custom?.spec.selector],
        ['CUSTOM', names.EXT_AUTHZ_PROVIDER, undefined],
        `${where}: CUSTOM`,
      );
      assert.equal(find(objs, 'PeerAuthentication', 'default')?.spec, { mtls: { mode: 'STRICT' } }, `${where}: STRICT`);
      const sidecars = objs.filter((o) => o.kind === 'Sidecar');
      assert.is(sidecars.filter((s) => !s.spec.workloadSelector).length, 1, `${where}: one namespace-wide Sidecar`);
      for (const s of sidecars) assert.is(s.spec.outboundTrafficPolicy.mode, 'REGISTRY_ONLY', `${where}: ${s.metadata!.name} REGISTRY_ONLY`);
      const deny = find(objs, 'NetworkPolicy', 'default-deny');
      assert.equal(deny?.spec, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }, `${where}: default-deny NetworkPolicy`);
      const allows = objs.filter((o) => o.kind === 'AuthorizationPolicy' && o.spec.action === 'ALLOW');

      for (const agent of placement.agents) {
        const sidecar = sidecars.find((s) => s.spec.workloadSelector?.labels?.[names.LABEL.agent] === agent.name);
        assert.ok(sidecar, `${where}: Sidecar of ${agent.name}`);
        const hosts: string[] = sidecar!.spec.egress[0].hosts;
        const outbound = w.flows.filter((f) => f.from === agent.name);
        const inbound = w.flows.filter((f) => f.to === agent.name);
        // Egress hosts: exactly the flow targets, the bundle server and the pod's OPA.
        // Through the mesh from another cluster whose owner published its gateway: the per-owner
        // host (the example clusters' names are short, so no hash).
        const owner = w.actors.find((a) => a.name === w.owner)!.cluster;
        const perOwner = owner.name !== cluster.name && owner.eastWestGateway !== undefined;
        const meshHost = perOwner ? `custody-bundle-server-${owner.name}.custody-system.svc.cluster.local` : SERVER_HOST;
        const bundleHost = cluster.bundleServer.kind === 'mesh' ? `${SYSTEM_NAMESPACE}/${meshHost}` : `./${cluster.bundleServer.host}`;
        assert.equal(
          hosts,
          [...new Set([...outbound.map((f) => `./${f.to}.${w.name}.svc.cluster.local`), bundleHost, `./${names.EXT_AUTHZ_HOST}`])].sort(),
          `${where}: egress of ${agent.name}`,
        );
        // ALLOWs on this agent: exactly one per inbound flow, each matching it.
        const mine = allows.filter((a) => a.spec.selector?.matchLabels?.[names.LABEL.agent] === agent.name);
        assert.is(mine.length, inbound.length, `${where}: one ALLOW per inbound flow of ${agent.name}`);
        for (const f of inbound) {
          const sender = w.agents.find((a) => a.name === f.from)!;
          assert.ok(f.path in ISTIO_PATHS, `no expected Istio paths for flow path ${f.path}`);
          const rule = {
            from: [{ source: { principals: [sender.principal.replace('spiffe://', '')] } }],
            to: [{ operation: { methods: [...f.methods], paths: ISTIO_PATHS[f.path], ports: [String(agent.port)] } }],
          };
          assert.ok(
            mine.some((a) => JSON.stringify(a.spec.rules) === JSON.stringify([rule])),
            `${where}: ALLOW for flow ${f.index}`,
          );
        }
        // Both NetworkPolicies of every flow agree: the sender may send to the receiver's port, the receiver may receive it.
        const np = find(objs, 'NetworkPolicy', agent.name);
        for (const f of outbound) {
          const other = topo.clusterOf(w, f.to);
          const to = w.agents.find((a) => a.name === f.to)!;
          const egress = np?.spec.egress ?? [];
          if (other === cluster.name) {
            assert.ok(
              egress.some(
                (r: any) => r.to.some((p: any) => p.podSelector?.matchLabels?.[names.LABEL.agent] === f.to) && r.ports.some((p: any) => p.port === to.port),
              ),
              `${where}: egress ${agent.name} → ${f.to}`,
            );
          } else {
            // Routed only to a published gateway: its address and port, the peer's host and port.
            const gateway = topo.cluster(other).settings.eastWestGateway;
            const entry = find(objs, 'ServiceEntry', f.to);
            if (gateway) {
              assert.ok(
                egress.some((r: any) => r.ports.some((p: any) => p.port === gateway.port) && r.to.some((p: any) => p.ipBlock)),
                `${where}: egress ${agent.name} → ${f.to} through ${other}'s east-west gateway`,
              );
              assert.equal(
                [entry?.spec.hosts, entry?.spec.location, entry?.spec.ports[0].number, entry?.spec.endpoints[0].address, entry?.spec.endpoints[0].ports.http],
                [[`${f.to}.${w.name}.svc.cluster.local`], 'MESH_INTERNAL', to.port, gateway.address, gateway.port],
                `${where}: ${f.to} resolves to ${other}'s gateway`,
              );
              const exposed = inCluster(t, other, 'istio-system').find((o) => o.kind === 'Gateway');
              assert.ok(exposed?.spec.servers[0].hosts.includes(`${f.to}.${w.name}.svc.cluster.local`), `${other}: its gateway exposes ${f.to}`);
            } else {
              assert.not.ok(entry, `${where}: no ServiceEntry for ${f.to}, whose cluster published no gateway`);
            }
            assert.not.ok(find(objs, 'Service', f.to), `${where}: no Service named ${f.to} would shadow the ServiceEntry`);
            const peer = inCluster(t, other, w.name);
            const theirs = find(peer, 'NetworkPolicy', f.to);
            assert.ok(
              theirs?.spec.ingress.some(
                (r: any) => r.from.some((p: any) => p.podSelector?.matchLabels?.istio === 'eastwestgateway') && r.ports.some((p: any) => p.port === to.port),
              ),
              `${other}: ingress ${f.to} ← ${agent.name} through the gateway`,
            );
            assert.ok(
              find(peer, 'AuthorizationPolicy', `allow-${agent.name}-to-${f.to}`) ??
                peer.some((o) => o.kind === 'AuthorizationPolicy' && o.metadata!.name!.startsWith(`allow-${agent.name}-to-${f.to}`)),
              `${other}: ALLOW for ${agent.name}`,
            );
          }
        }
        for (const f of inbound) {
          const from = topo.clusterOf(w, f.from);
          const ingress = np?.spec.ingress ?? [];
          const ok =
            from === cluster.name
              ? ingress.some(
                  (r: any) =>
                    r.from.some((p: any) => p.podSelector?.matchLabels?.[names.LABEL.agent] === f.from) && r.ports.some((p: any) => p.port === agent.port),
                )
              : ingress.some((r: any) => r.from.some((p: any) => p.podSelector?.matchLabels?.istio === 'eastwestgateway'));
          assert.ok(ok, `${where}: ingress ${agent.name} ← ${f.from}`);
        }
        // The OPA configuration: this agent's bundle, from this cluster's server, signature required.
        const config = parse(find(objs, 'ConfigMap', `${agent.name}-opa`)!.data['config.yaml']);
        assert.is(config.bundles.custody.resource, `bundles/${w.name}/${agent.name}.tar.gz`);
        assert.is(config.bundles.custody.signing.keyid, inputs.activeKeyId);
        assert.ok(config.keys[inputs.activeKeyId].key.startsWith('-----BEGIN PUBLIC KEY-----'));
        assert.equal(
          Object.keys(config.keys).sort(),
          inputs.keys.map((k) => k.id),
        );
        // The URL of the spec, with the per-owner host where the Sidecar names it.
        assert.is(config.services.custody.url, cluster.bundleServer.kind === 'mesh' ? `http://${meshHost}:8080` : cluster.settings.bundleServer);
        assert.is(config.services.custody.headers['X-Custody-Key-Id'], inputs.activeKeyId);
        assert.is(config.bundles.custody.polling.long_polling_timeout_seconds, 60);
        assert.equal(config.plugins.envoy_ext_authz_grpc, { addr: '127.0.0.1:9191', path: 'custody/authz/allow' });
        assert.equal([config.status.service, config.decision_logs.service, config.decision_logs.mask_decision], ['custody', 'custody', '/custody/log/mask']);
        assert.equal(config.labels, { workflow: w.name, agent: agent.name, actor: agent.actor, cluster: cluster.name });
        // The volume on the cluster's StorageClass.
        const pvc = find(objs, 'PersistentVolumeClaim', `${agent.name}-data`)!;
        assert.equal(
          [pvc.spec.storageClassName, pvc.spec.accessModes, pvc.spec.resources.requests.storage],
          [cluster.settings.storageClass, ['ReadWriteOnce'], agent.storage],
        );
      }
    }
  }

  const deployments = t.objects.filter((o) => o.kind === 'Deployment');
  // No agent shares a volume: every claim is mounted by one Deployment, and no Deployment mounts another's.
  const claims = new Map<string, string>();
  for (const d of deployments) {
    for (const v of d.spec.template.spec.volumes ?? []) {
      if (!v.persistentVolumeClaim) continue;
      const key = `${d.metadata!.namespace}/${v.persistentVolumeClaim.claimName}`;
      assert.not.ok(claims.has(key), `${key} is mounted by ${claims.get(key)} and ${d.metadata!.name}`);
      claims.set(key, d.metadata!.name!);
      assert.is(v.persistentVolumeClaim.claimName, `${d.metadata!.name}-data`);
    }
  }
  // No Secret value in Git: no Secret object, no private key anywhere, secrets only referenced.
  assert.not.ok(
    t.objects.some((o) => o.kind === 'Secret'),
    'no Secret objects',
  );
  assert.not.ok(JSON.stringify(t.objects).includes('PRIVATE KEY'), 'no private key');
  for (const d of deployments) {
    for (const c of d.spec.template.spec.containers)
      for (const e of c.env ?? [])
        assert.not.ok(/(TOKEN|SECRET|PASSWORD)$/.test(e.name) && e.value !== undefined, `${d.metadata!.name}: ${e.name} is a literal`);
  }
  // Every image pinned: a tag that is not "latest", or a digest.
  for (const d of deployments) {
    for (const c of d.spec.template.spec.containers) {
      assert.ok(
        /@sha256:[0-9a-f]{64}$/.test(c.image) || (/:[^/:]+$/.test(c.image) && !c.image.endsWith(':latest')),
        `${d.metadata!.name}: ${c.image} is pinned`,
      );
    }
  }
  // Pod hardening (design.md), and only OPA holds a token, with the bundle server's audience.
  for (const d of deployments) {
    const pod = d.spec.template.spec;
    assert.is(pod.automountServiceAccountToken, false);
    assert.equal([pod.securityContext.runAsNonRoot, pod.securityContext.seccompProfile.type], [true, 'RuntimeDefault']);
    for (const c of pod.containers) {
      const s = c.securityContext;
      assert.equal(
        [s.runAsNonRoot, s.readOnlyRootFilesystem, s.allowPrivilegeEscalation, s.privileged, s.capabilities.drop, s.seccompProfile.type],
        [true, true, false, false, ['ALL'], 'RuntimeDefault'],
        `${d.metadata!.name}/${c.name}`,
      );
      assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory, `${d.metadata!.name}/${c.name} resources`);
    }
    const token = (pod.volumes ?? []).find((v: any) => v.projected);
    if (d.metadata!.namespace === SYSTEM_NAMESPACE) {
      assert.not.ok(token, 'the bundle server needs no token');
      continue;
    }
    assert.equal(token.projected.sources, [{ serviceAccountToken: { audience: 'custody-bundle-server', expirationSeconds: 3600, path: 'token' } }]);
    const mounting = pod.containers.filter((c: any) => (c.volumeMounts ?? []).some((m: any) => m.name === token.name));
    assert.equal(
      mounting.map((c: any) => [c.name, c.volumeMounts.find((m: any) => m.name === token.name).mountPath]),
      [['opa', '/var/run/secrets/custody']],
    );
  }
  // Sync waves: namespaces, then mTLS, then every deny and egress limit, then workloads, then allows (the gateway's exposure too).
  for (const o of t.objects.filter((x) => x.metadata?.namespace !== 'argocd' && x.metadata?.namespace !== 'flux-system')) {
    const wave = Number(o.metadata!.annotations![names.ANNOTATION.syncWave]);
    const expect =
      o.kind === 'Namespace'
        ? -3
        : o.kind === 'PeerAuthentication'
          ? -2
          : (o.kind === 'AuthorizationPolicy' && o.spec.action === 'ALLOW') ||
              o.kind === 'Gateway' ||
              (o.kind === 'NetworkPolicy' && o.metadata!.name !== 'default-deny' && !o.metadata!.name!.startsWith('allow-mesh'))
            ? 1
            : ['AuthorizationPolicy', 'Sidecar', 'ServiceEntry', 'NetworkPolicy'].includes(o.kind)
              ? -1
              : 0;
    assert.is(wave, expect, `${o.kind} ${o.metadata!.namespace}/${o.metadata!.name}: wave`);
  }
  // What holds data survives a prune, an Application's deletion and Flux's garbage collection; nothing else is exempt.
  for (const o of t.objects) {
    const a = o.metadata?.annotations ?? {};
    const retained = [a['argocd.argoproj.io/sync-options'], a['kustomize.toolkit.fluxcd.io/prune']];
    if (o.kind === 'Namespace' || o.kind === 'PersistentVolumeClaim')
      assert.equal(retained, ['Prune=false,Delete=false', 'disabled'], `${o.kind} ${o.metadata!.name}`);
    else assert.equal(retained, [undefined, undefined], `${o.kind} ${o.metadata!.name}`);
  }
  // The reconcilers point at folders that exist.
  for (const o of t.objects.filter((x) => x.kind === 'Application'))
    assert.ok(
      [...t.files.keys()].some((p) => p.startsWith(`${o.spec.source.path.replace(/^generated\//, '')}/`)),
      o.spec.source.path,
    );
  for (const o of t.objects.filter((x) => x.kind === 'Kustomization'))
    assert.ok(
      [...t.files.keys()].some((p) => p.startsWith(`${o.spec.path.replace(/^\.\/generated\//, '')}/`)),
      o.spec.path,
    );
  return t;
}

test('the invariants hold on the example trees', async () => {
  const t = checkAll(exampleWorkflows(), await exampleInputs());
  // The owner's clusters run the bundle server, with the signing key as a reference only.
  for (const cluster of ['studio-central', 'sponsor-prod']) {
    const server = find(inCluster(t, cluster, SYSTEM_NAMESPACE), 'Deployment', SERVER_NAME)!;
    const pod = server.spec.template.spec;
    assert.equal(pod.volumes.find((v: any) => v.name === 'signing-key').secret.secretName, names.SIGNING_KEY_SECRET);
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    assert.equal([env.CUSTODY_TOKEN_AUDIENCE, env.CUSTODY_SIGNING_KEY_ID, env.CUSTODY_BRANCH], ['custody-bundle-server', 'custody-example', 'main']);
    assert.match(pod.containers[0].image, /^ghcr\.io\/custody-dev\/custody:\d+\.\d+\.\d+$/);
  }
  // Five clusters for the movie workflow, each with its namespace.
  const movie = [...t.files.keys()].filter((p) => p.endsWith('/movie-post-production/namespace.yaml'));
  assert.equal(
    movie.map((p) => p.split('/')[1]),
    ['color-central', 'hdr-west', 'sound-west', 'studio-central', 'vfx-central'],
  );
});

test('the invariants hold on the variant; its settings are applied', async () => {
  const inputs = await exampleInputs();
  const w = loadOne(VARIANT).workflows;
  const t = checkAll(w, inputs);
  const lab = inCluster(t, 'lab-main', 'variant');
  assert.is(find(lab, 'Namespace', 'variant')!.metadata!.labels!['pod-security.kubernetes.io/enforce'], 'privileged');
  const remote = inCluster(t, 'remote-east', 'variant');
  assert.is(find(remote, 'Namespace', 'variant')!.metadata!.labels!['pod-security.kubernetes.io/enforce'], 'restricted');
  const entry = find(remote, 'ServiceEntry', 'custody-bundle-server')!;
  assert.equal([entry.spec.hosts, entry.spec.ports[0].number, entry.spec.location], [['bundles.variant.example'], 443, 'MESH_EXTERNAL']);
  assert.not.ok(inCluster(t, 'remote-east', SYSTEM_NAMESPACE).length, 'no stub where the server is outside the mesh');
  const config = parse(find(inCluster(t, 'lab-main', SYSTEM_NAMESPACE), 'ConfigMap', SERVER_NAME)!.data['config.yaml']);
  assert.equal(config.clusters, [
    { cluster: 'lab-main', issuer: 'https://issuer.lab.variant.example', jwksUrl: 'https://issuer.lab.variant.example/openid/v1/jwks' },
    { cluster: 'remote-east', issuer: 'https://issuer.remote.variant.example', jwksUrl: 'https://keys.remote.variant.example/jwks.json' },
  ]);
  // In the mesh, every caller reaches the server through the pod's own Envoy and looks local.
  assert.is(config.metricsAccess, 'admin');
  const app = t.files.get('argocd/lab-main/application-variant.yaml')!;
  assert.equal(
    [app.spec.destination, app.spec.source.repoURL, app.spec.source.targetRevision],
    [{ server: 'https://lab-main.k8s.variant.example', namespace: 'variant' }, 'https://git.variant.example:8443/lab/custody.git', 'release'],
  );
  // A contractor's reconciler may fetch over ssh (the bundle server, which fetches over https only, runs in lab-main).
  assert.is(t.files.get('argocd/remote-east/application-variant.yaml')!.spec.source.repoURL, 'ssh://git@git.variant.example/lab/custody.git');
  const entries = inCluster(t, 'lab-main', SYSTEM_NAMESPACE)
    .filter((o) => o.kind === 'ServiceEntry')
    .map((o) => [o.spec.hosts[0], o.spec.ports[0].number]);
  assert.equal(entries, [
    ['git.variant.example', 8443],
    ['issuer.lab.variant.example', 443],
    ['keys.remote.variant.example', 443],
  ]);
});

test('the same workflows and keys give the same files; another active key changes every OPA config', async () => {
  const inputs = await exampleInputs();
  const a = manifestFiles(exampleWorkflows(), inputs);
  const b = manifestFiles(exampleWorkflows(), inputs);
  assert.equal(JSON.stringify([...a]), JSON.stringify([...b]));
  const second = { id: 'zz-next', algorithm: 'ES256', publicKeyPem: inputs.keys[0]!.publicKeyPem };
  const rotated = tree(exampleWorkflows(), { ...inputs, keys: [...inputs.keys, second], activeKeyId: 'zz-next' });
  const config = parse(rotated.objects.find((o) => o.kind === 'ConfigMap' && o.metadata!.name === 'hdr-opa')!.data['config.yaml']);
  assert.equal([config.bundles.custody.signing.keyid, Object.keys(config.keys)], ['zz-next', ['custody-example', 'zz-next']]);
});

test.run();
