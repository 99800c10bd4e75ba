#!/usr/bin/env -S npx tsx
// A stand-in upstream for test/proxy.bats: answers every request with what it received (method,
// target, headers as sent), so a test can see exactly which headers proxy.ts passes on. Prints
// "Starting to serve on 127.0.0.1:PORT" like the proxies, so the same helper waits for it.
// Usage: test/helpers/header-echo.ts [ADDRESS]   (default 127.0.0.1; stops on SIGTERM)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const server = createServer((req, res) => {
  const headers: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] as string).toLowerCase();
    headers[name] = [...(headers[name] ?? []), req.rawHeaders[i + 1] as string];
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(`${JSON.stringify({ method: req.method, url: req.url, headers })}\n`);
});
const address = process.argv[2] ?? '127.0.0.1';
server.listen(0, address, () => {
  process.stdout.write(`Starting to serve on ${address}:${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
