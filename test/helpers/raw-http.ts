/**
 * HTTP/1.1 spoken over a plain TCP socket, for what fetch hides: a request whose body is promised
 * (Content-Length) but never sent, whether and when the server closes the connection, and bytes
 * a client library would refuse to put in a header.
 */
import net from 'node:net';

export interface RawResponse {
  /** 0 when no status line arrived. */
  readonly status: number;
  readonly head: string;
  readonly body: string;
  /** Whether the server closed the connection before the wait ended. */
  readonly closed: boolean;
  /** Milliseconds from connecting to the status line (or to the end of the wait). */
  readonly answeredAfterMs: number;
}

/**
 * Sends `head` (request line and headers, without the blank line) and `body`, then waits up to
 * `waitMs` for the server to close the connection.
 */
export function rawRequest(url: string, head: string, options: { body?: Buffer | string; waitMs?: number } = {}): Promise<RawResponse> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    let answeredAt: number | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({
        status: status ? Number(status[1]) : 0,
        head: split < 0 ? text : text.slice(0, split),
        body: split < 0 ? '' : text.slice(split + 4),
        closed,
        answeredAfterMs: (answeredAt ?? Date.now()) - started,
      });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 3000);
    socket.on('data', (d: Buffer) => {
      answeredAt ??= Date.now();
      chunks.push(d);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
    socket.write(Buffer.concat([Buffer.from(`${head.replace(/\n/g, '\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(options.body ?? '')]));
  });
}
