/**
 * The baseline of the HTTP load bench: a bare node:http server, run as its own process (forked
 * by bench/http-load.ts), that reads each request's body and answers 200 with nothing. What the
 * loader measures against it is what loopback, the kernel, node's HTTP stack and the loader
 * itself cost on this machine at that moment: the floor under any acknowledgement. Listens on
 * 127.0.0.1 only; tells the parent { type: 'ready', url } and exits when told { type: 'stop' }
 * or when the parent goes away.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const server = http.createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'content-length': '0' });
    res.end();
  });
});
server.keepAliveTimeout = 30_000;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}` });
});

const stop = (): void => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('disconnect', stop);
process.on('message', (m: { type?: string }) => {
  if (m.type === 'stop') stop();
});
