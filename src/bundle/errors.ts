/**
 * Stable codes for everything the bundle module rejects. Callers (CLI exit codes, server status
 * mapping, tests) switch on `code`; the message is for people and may change.
 */
import { CustodyError } from '../core/errors.js';

export type BundleErrorCode =
  | 'missing-file' // a required bundle source (.manifest, policy.rego, data.json) is absent
  | 'bad-path' // a source name OPA would misread, ignore or leave unverified
  | 'bad-json' // bytes of a structured file are not the JSON subset whose OPA digest we reproduce
  | 'bad-manifest' // .manifest is not a JSON object OPA can decode into its Manifest struct
  | 'bad-data' // a data.json OPA would refuse to load
  | 'bad-revision' // the revision to stamp into .manifest is empty or not a well-formed string
  | 'bad-iat' // signing without an explicit integer issue time
  | 'bad-key' // a signing key OPA cannot verify with the requested algorithm
  | 'bad-tarball'; // an archive this module cannot read back

/** Every bundle error is about its input (sources, a key, an archive): kind `invalid`. */
export class BundleError extends CustodyError {
  override name = 'BundleError';
  declare readonly code: BundleErrorCode;

  constructor(
    code: BundleErrorCode,
    message: string,
    /** The bundle file the problem is in, when there is one. */
    readonly file?: string,
  ) {
    // The file leads the message rather than going into `location`: the server shows the bare
    // message as a build failure in the rollout view, where it must still name the file.
    super(code, 'invalid', file === undefined ? message : `${file}: ${message}`, file === undefined ? {} : { data: { file } });
  }
}
