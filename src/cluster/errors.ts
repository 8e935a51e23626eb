/** Failures talking to a cluster: a kubeconfig that does not say where, an API server that refuses. */
import { CustodyError, type CustodyErrorOptions, type ErrorKind } from '../core/errors.js';

export class ClusterError extends CustodyError {
  override name = 'ClusterError';
  constructor(code: string, kind: ErrorKind, message: string, options: CustodyErrorOptions = {}) {
    super(code, kind, message, options);
  }
}
