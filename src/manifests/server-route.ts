/**
 * `custody-system` in a cluster whose sidecars fetch from the owner's bundle server through the
 * mesh without running it: only the name by which they reach it. With one owner cluster that
 * published its east-west gateway, a ServiceEntry at that gateway (east-west.ts); otherwise a
 * selector-less Service of that name, which nothing routes across organisations: such a cluster
 * sets bundleServer to a URL the owner publishes (docs/gitops.md).
 */
import type { IService } from 'kubernetes-models/v1/Service';
import { ANNOTATION, LABEL, SERVER_NAME, SERVER_PORT, SYSTEM_NAMESPACE, WAVE } from './constants.js';
import { remoteServerEntry } from './east-west.js';
import { namespace } from './namespace.js';
import { meta, type Placed } from './objects.js';
import { SERVER_LABELS } from './system.js';
import type { ClusterPlan } from './topology.js';

export function serverStub(cluster: ClusterPlan, owners: readonly ClusterPlan[]): Placed[] {
  const ns = SYSTEM_NAMESPACE;
  const labels = SERVER_LABELS;
  const [owner] = owners;
  const nsFile = { file: 'namespace.yaml', object: namespace(ns, cluster.settings.istioCni, { [LABEL.partOf]: 'custody' }) };
  // Several owners would need one host per owner's server: not yet (see above).
  if (owners.length === 1 && owner!.settings.eastWestGateway) {
    return [nsFile, { file: `serviceentry-${SERVER_NAME}.yaml`, object: remoteServerEntry(owner!, owner!.settings.eastWestGateway, labels) }];
  }
  const svc: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(SERVER_NAME, ns, WAVE.workload, labels, {
      [ANNOTATION.remoteCluster]: owners.map((o) => o.name).join(','),
      [ANNOTATION.lintIgnore]: 'service-targets-pod',
    }),
    spec: { type: 'ClusterIP', ports: [{ name: 'http', port: SERVER_PORT, protocol: 'TCP', appProtocol: 'http' }] },
  };
  return [nsFile, { file: 'service.yaml', object: svc }];
}
