/**
 * A client of Envoy's external authorization service (`envoy.service.auth.v3.Authorization/Check`),
 * the gRPC call Envoy makes to the OPA sidecar for every request. Only the fields Custody's policy
 * reads are declared, with their field numbers from Envoy's protos (attribute_context.proto,
 * external_auth.proto): protobuf's wire format carries numbers, not names, so this is what Envoy sends.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const DESCRIPTOR = {
  nested: {
    envoy: {
      nested: {
        service: {
          nested: {
            auth: {
              nested: {
                v3: {
                  nested: {
                    Authorization: { methods: { Check: { requestType: 'CheckRequest', responseType: 'CheckResponse' } } },
                    CheckRequest: { fields: { attributes: { type: 'AttributeContext', id: 1 } } },
                    AttributeContext: {
                      fields: { source: { type: 'Peer', id: 1 }, destination: { type: 'Peer', id: 2 }, request: { type: 'Request', id: 4 } },
                    },
                    Peer: { fields: { principal: { type: 'string', id: 4 } } },
                    Request: { fields: { http: { type: 'HttpRequest', id: 2 } } },
                    HttpRequest: {
                      fields: {
                        id: { type: 'string', id: 1 },
                        method: { type: 'string', id: 2 },
                        headers: { keyType: 'string', type: 'string', id: 3 },
                        path: { type: 'string', id: 4 },
                        host: { type: 'string', id: 5 },
                        scheme: { type: 'string', id: 6 },
                        protocol: { type: 'string', id: 10 },
                      },
                    },
                    CheckResponse: { fields: { status: { type: 'Status', id: 1 } } },
                    // google.rpc.Status
                    Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

export interface CheckRequest {
  /** The caller's SPIFFE ID, as Envoy takes it from the peer certificate. */
  readonly sourcePrincipal?: string;
  readonly destinationPrincipal?: string;
  readonly method: string;
  readonly path: string;
  readonly host?: string;
}

/** gRPC status codes in CheckResponse.status. */
export const OK = 0;
export const PERMISSION_DENIED = 7;

type Callback = (err: grpc.ServiceError | null, res?: { status?: { code?: number; message?: string } }) => void;
interface AuthorizationClient extends grpc.Client {
  Check(request: unknown, options: grpc.CallOptions, callback: Callback): void;
}

export class ExtAuthzClient {
  private readonly client: AuthorizationClient;

  constructor(address: string) {
    const definition = protoLoader.fromJSON(DESCRIPTOR as Parameters<typeof protoLoader.fromJSON>[0], { keepCase: true, longs: Number, defaults: false });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      envoy: { service: { auth: { v3: { Authorization: new (address: string, credentials: grpc.ChannelCredentials) => AuthorizationClient } } } };
    };
    this.client = new pkg.envoy.service.auth.v3.Authorization(address, grpc.credentials.createInsecure());
  }

  /** true when the sidecar answers OK, false on PERMISSION_DENIED; throws on any other answer or error. */
  check(r: CheckRequest, timeoutMs = 5000): Promise<boolean> {
    const request = {
      attributes: {
        ...(r.sourcePrincipal ? { source: { principal: r.sourcePrincipal } } : {}),
        ...(r.destinationPrincipal ? { destination: { principal: r.destinationPrincipal } } : {}),
        request: {
          http: {
            id: '1',
            method: r.method,
            path: r.path,
            host: r.host ?? 'agent',
            scheme: 'http',
            protocol: 'HTTP/1.1',
            headers: { ':method': r.method, ':path': r.path },
          },
        },
      },
    };
    return new Promise((resolve, reject) => {
      this.client.Check(request, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) return reject(err);
        const code = res?.status?.code ?? OK;
        if (code === OK) resolve(true);
        else if (code === PERMISSION_DENIED) resolve(false);
        else reject(new Error(`ext_authz answered status ${code}: ${res?.status?.message ?? ''}`));
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
