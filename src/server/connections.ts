/**
 * What a connection may hold, by whether its caller has authenticated. Every socket starts
 * unauthenticated; a request that passes authentication (and authorization) makes it an
 * authenticated one for the rest of its life. Unauthenticated sockets have a budget of their own,
 * below the process's bound on all connections, so callers without credentials cannot take the
 * descriptors the sidecars' long polls need: when the budget is full, the oldest unauthenticated
 * socket is closed to admit the new one (a sidecar sends its request at once and authenticates
 * in the same turn, so it is not the one that waits longest). A response to an unauthenticated
 * or refused request closes its connection. Any socket silent for too long is closed by a sweep.
 * Accounting is O(1) per connection and per request, and O(open sockets) per sweep.
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

/** Why the budget closed a connection (its label on the shed-connections metric). */
export type ShedReason = 'unauthenticated budget' | 'agent connection budget' | 'no traffic';

/** A socket's bytes read and written when last looked at, and since when they have not changed. */
interface Traffic {
  bytes: number;
  since: number;
  /** The agent (`<workflow>/<agent>`) its last authenticated request came from. */
  owner?: string;
}

export class ConnectionBudget {
  /** Insertion order is age: the first is the oldest. */
  private readonly unauthenticated = new Set<Socket>();
  /** Every open socket. */
  private readonly traffic = new Map<Socket, Traffic>();
  /** Per agent (`<workflow>/<agent>`), its authenticated sockets; insertion order is age. */
  private readonly byOwner = new Map<string, Set<Socket>>();

  /**
   * @param silentMs a socket that has read and written nothing for this long is closed (by
   *   `sweep`): no request, long poll or response can still be in progress on it.
   */
  constructor(
    private readonly maxUnauthenticated: number,
    private readonly silentMs: number,
    private readonly onShed: (reason: ShedReason) => void = () => undefined,
    private readonly clock: () => number = Date.now,
    /** Authenticated sockets one agent may hold: beyond, its oldest is closed. */
    private readonly maxPerOwner = Infinity,
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
      this.onShed('unauthenticated budget');
    }
    this.traffic.set(socket, { bytes: 0, since: this.clock() });
    this.unauthenticated.add(socket);
    socket.once('close', () => {
      this.disown(socket);
      this.traffic.delete(socket);
      this.unauthenticated.delete(socket);
    });
  }

  /**
   * Closes the sockets without traffic for `silentMs`; the server calls it every few seconds.
   * Instead of node:http's per-socket timeout (server.setTimeout), which re-arms a timer on every
   * request and refreshes it on every read and write: a few percent of the bundle route's time.
   * Looked at here, a socket costs a few property reads every few seconds, whatever its traffic.
   */
  sweep(): void {
    const now = this.clock();
    for (const [socket, t] of this.traffic) {
      const bytes = socket.bytesRead + socket.bytesWritten;
      if (bytes !== t.bytes) {
        t.bytes = bytes;
        t.since = now;
      } else if (now - t.since >= this.silentMs) {
        // Forgotten by its 'close' listener, as every socket is.
        socket.destroy();
        this.onShed('no traffic');
      }
    }
  }

  /**
   * The request on this socket passed authentication: the socket leaves the unauthenticated budget,
   * and, for an agent's request (`owner`), counts against that agent's budget. An agent at its
   * budget loses its oldest connection to the new one, as the unauthenticated budget does: its
   * token can hold a bounded share of the server, whatever it opens.
   */
  trust(socket: Socket, owner?: string): void {
    this.unauthenticated.delete(socket);
    if (owner === undefined) return;
    // Every request of a sidecar's connection comes here: one lookup when nothing changes.
    const t = this.traffic.get(socket);
    if (!t || t.owner === owner) return;
    this.disown(socket, t);
    let sockets = this.byOwner.get(owner);
    if (!sockets) this.byOwner.set(owner, (sockets = new Set()));
    if (sockets.size >= this.maxPerOwner) {
      const oldest = sockets.values().next().value as Socket;
      this.disown(oldest);
      oldest.destroy();
      this.onShed('agent connection budget');
    }
    sockets.add(socket);
    t.owner = owner;
  }

  private disown(socket: Socket, t = this.traffic.get(socket)): void {
    const owner = t?.owner;
    if (owner === undefined) return;
    t!.owner = undefined;
    const sockets = this.byOwner.get(owner)!;
    sockets.delete(socket);
    if (sockets.size === 0) this.byOwner.delete(owner);
  }

  trusted(socket: Socket): boolean {
    return !this.unauthenticated.has(socket);
  }

  counts(): { open: number; unauthenticated: number } {
    return { open: this.traffic.size, unauthenticated: this.unauthenticated.size };
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
