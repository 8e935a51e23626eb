// The bundle server benchmark's Node baseline: node:http processes that check one bearer header
// and answer 304 or 200 from memory with the headers custody sends, and nothing else. What Node
// itself allows on this machine; custody's hot path is measured against one such process. With a
// process count above 1, that many share the port (node:cluster): what several processes would
// give here, for the decision between one process and several.
// Usage: node bare-node-server.mjs <port> <bundle file> <etag> <token> [processes]
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [port, file, etag, token, processes = '1'] = process.argv.slice(2);
if (cluster.isPrimary && Number(processes) > 1) {
  for (let i = 0; i < Number(processes); i++) cluster.fork();
  let listening = 0;
  cluster.on('listening', () => ++listening === Number(processes) && console.log('serving'));
} else {
  const bytes = readFileSync(file);
  const expected = `Bearer ${token}`;
  const ok = ['content-type', 'application/gzip', 'content-length', String(bytes.length), 'etag', etag, 'cache-control', 'no-cache'];
  const notModified = ['etag', etag, 'content-type', 'application/gzip', 'cache-control', 'no-cache'];
  http
    .createServer((req, res) => {
      if (req.headers.authorization !== expected) return void res.writeHead(401).end();
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, notModified).end();
      res.writeHead(200, ok).end(bytes);
    })
    .listen(Number(port), '127.0.0.1', () => cluster.isPrimary && console.log('serving'));
}
