/**
 * How the bundle server is named across clusters. In the owner's cluster, beside the server's own
 * Service, a Service under the per-owner host (topology.ts, ownerServerName) that its gateway
 * exposes when other clusters' sidecars fetch through the mesh. In a cluster whose sidecars fetch
 * from owners elsewhere, per owner that published its gateway, a ServiceEntry for that host at the
 * gateway (east-west.ts); for owners without one, a selector-less Service of the server's own name,
 * which nothing routes across organisations: such a cluster sets bundleServer to a URL the owner
 * publishes (docs/gitops.md).
 */
import type { IService } from 'kubernetes-models/v1/Service';
import { SERVER_NAME, SERVER_PORT, SYSTEM_NAMESPACE } from '../contract/index.js';
import { ANNOTATION, LABEL, WAVE } from './constants.js';
import { remoteServerEntry } from './east-west.js';
import { meta, type Placed } from './objects.js';
import { SERVER_LABELS } from './system.js';
import { fetchedThroughMesh, ownerCluster, ownerServerName, type ClusterPlan, type Topology } from './topology.js';

const servicePort = { name: 'http', port: SERVER_PORT, protocol: 'TCP', appProtocol: 'http' } as const;

/** The owner's side: the server's pods (same selector and port as its own Service) under the per-owner name, when other clusters fetch from it through the mesh. */
export function ownerService(topo: Topology, cluster: ClusterPlan): Placed[] {
  if (!fetchedThroughMesh(topo, cluster)) return [];
  const name = ownerServerName(cluster.name);
  const svc: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name, SYSTEM_NAMESPACE, WAVE.workload, SERVER_LABELS),
    spec: { type: 'ClusterIP', selector: { [LABEL.name]: SERVER_NAME }, ports: [{ ...servicePort, targetPort: 'http' }] },
  };
  return [{ file: `service-${name}.yaml`, object: svc }];
}

/**
 * The fetching side: the owners' servers that the sidecars of this cluster's workflows reach
 * through the mesh in other clusters. A cluster that runs a server gets no selector-less Service
 * (its own server holds that name).
 */
export function remoteServers(topo: Topology, cluster: ClusterPlan): Placed[] {
  if (cluster.bundleServer.kind !== 'mesh') return [];
  const owners = [...new Set(cluster.placements.map((p) => ownerCluster(p.workflow)))]
    .filter((name) => name !== cluster.name)
    .sort()
    .map((name) => topo.cluster(name));
  const out: Placed[] = [];
  for (const owner of owners) {
    const gateway = owner.settings.eastWestGateway;
    if (gateway) out.push({ file: `serviceentry-${ownerServerName(owner.name)}.yaml`, object: remoteServerEntry(owner, gateway, SERVER_LABELS) });
  }
  const unpublished = owners.filter((o) => !o.settings.eastWestGateway);
  if (unpublished.length && cluster.served.length === 0) {
    const svc: IService = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(SERVER_NAME, SYSTEM_NAMESPACE, WAVE.workload, SERVER_LABELS, {
        [ANNOTATION.remoteCluster]: unpublished.map((o) => o.name).join(','),
        [ANNOTATION.lintIgnore]: 'service-targets-pod',
      }),
      spec: { type: 'ClusterIP', ports: [servicePort] },
    };
    out.push({ file: 'service.yaml', object: svc });
  }
  return out;
}
