/**
 * The benchmark's sidecars: one keep-alive HTTP/1.1 connection each, reading only the status line
 * and Content-Length and counting body bytes. Real sidecars run on other machines; here they
 * share the server's two cores, so the lighter their instrument, the less of the measured time is
 * the clients' own parsing (node:http's client costs more CPU per response than the server's
 * answer does). A response counts as arrived when its last body byte has been read.
 */
import net from 'node:net';

export interface Arrival {
  /** 0 when the connection failed or closed before the response was complete. */
  readonly status: number;
  /** performance.now() when the last byte arrived. */
  readonly at: number;
}

export class RawClient {
  private socket: net.Socket | undefined;
  private buffer = '';
  private remaining = -1;
  private status = 0;
  private pending: ((a: Arrival) => void) | undefined;

  constructor(
    private readonly port: number,
    private readonly host = '127.0.0.1',
  ) {}

  /** Sends one GET with these headers; calls `done` once with the response's status and arrival time. */
  get(path: string, headers: Record<string, string>, done: (a: Arrival) => void): void {
    this.pending = done;
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
    const request = `GET ${path} HTTP/1.1\r\nhost: ${this.host}\r\n${lines.join('')}\r\n`;
    if (!this.socket || this.socket.destroyed) this.connect();
    this.socket!.write(request);
  }

  close(): void {
    this.socket?.destroy();
  }

  private connect(): void {
    const socket = net.connect(this.port, this.host);
    socket.setNoDelay(true);
    // Headers as latin1 text; the body is only counted.
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    const fail = () => this.finish(0);
    socket.on('error', fail);
    socket.on('close', fail);
    this.socket = socket;
    this.buffer = '';
    this.remaining = -1;
  }

  private read(chunk: Buffer): void {
    if (this.remaining < 0) {
      this.buffer += chunk.toString('latin1');
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buffer.slice(0, end);
      this.status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      this.remaining = length ? Number(length[1]) : 0;
      // latin1: one character per byte, so lengths are byte counts.
      this.remaining -= this.buffer.length - (end + 4);
      this.buffer = '';
    } else {
      this.remaining -= chunk.length;
    }
    if (this.remaining <= 0) {
      this.remaining = -1;
      this.finish(this.status);
    }
  }

  private finish(status: number): void {
    const done = this.pending;
    this.pending = undefined;
    done?.({ status, at: performance.now() });
  }
}
