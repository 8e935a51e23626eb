// The bundle server benchmark's Node baseline: one node:http process that checks one bearer header
// and answers 304 or 200 from memory with the headers custody sends, and nothing else. What Node
// itself allows on this machine; custody's hot path is measured against it.
// Usage: node bare-node-server.mjs <port> <bundle file> <etag> <token>
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [port, file, etag, token] = process.argv.slice(2);
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
  .listen(Number(port), '127.0.0.1', () => console.log('serving'));
