/**
 * What a connection may hold, by whether its caller has authenticated. Every socket starts
 * unauthenticated; a request that passes authentication (and authorization) makes it an
 * authenticated one for the rest of its life. Unauthenticated sockets have a budget of their own,
 * below the process's bound on all connections, so callers without credentials cannot take the
 * descriptors the sidecars' long polls need: when the budget is full, the oldest unauthenticated
 * socket is closed to admit the new one (a sidecar sends its request at once and authenticates
 * in the same turn, so it is not the one that waits longest). A response to an unauthenticated
 * or refused request closes its connection. Accounting is O(1) per connection and per request.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Descriptors left for everything that is not a connection: Git objects, decision logs, JWKS fetches. */
export const RESERVED_DESCRIPTORS = 256;

/** The process's open-file limit where the platform tells it (Linux), else undefined. */
export function descriptorLimit(limits = '/proc/self/limits'): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(limits, 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export class ConnectionBudget {
  /** Insertion order is age: the first is the oldest. */
  private readonly unauthenticated = new Set<Socket>();
  private open = 0;

  constructor(
    private readonly maxUnauthenticated: number,
    private readonly onShed: () => void = () => undefined,
  ) {}

  /** For the server's `connection` event. */
  accept(socket: Socket): void {
    // Shedding the oldest, not refusing the newcomer: to crowd out a sidecar that connects, a
    // flood must fill the whole budget in the moment the sidecar takes to send its request;
    // refusing newcomers would let a budget's worth of silent sockets, renewed every 10 s, do it.
    if (this.unauthenticated.size >= this.maxUnauthenticated) {
      const oldest = this.unauthenticated.values().next().value as Socket;
      this.unauthenticated.delete(oldest);
      oldest.destroy();
      this.onShed();
    }
    this.open++;
    this.unauthenticated.add(socket);
    socket.once('close', () => {
      this.open--;
      this.unauthenticated.delete(socket);
    });
  }

  /** The request on this socket passed authentication: the socket leaves the unauthenticated budget. */
  trust(socket: Socket): void {
    this.unauthenticated.delete(socket);
  }

  trusted(socket: Socket): boolean {
    return !this.unauthenticated.has(socket);
  }

  counts(): { open: number; unauthenticated: number } {
    return { open: this.open, unauthenticated: this.unauthenticated.size };
  }
}

/**
 * The response ends the connection: `Connection: close`, and the socket destroyed once the
 * response is flushed, so neither the keep-alive timeout nor an unread body keeps it open.
 */
export function closeAfter(req: IncomingMessage, res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('connection', 'close');
  const socket = req.socket;
  res.once('finish', () => socket.destroy());
}
