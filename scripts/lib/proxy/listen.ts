// Where the ambassador listens, as kubectl proxy does: a TCP address, or a Unix socket that replaces
// a stale one and is readable by its owner only; and one line naming what went wrong if it cannot.

import { statSync, unlinkSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { joinHostPort } from '../config.ts';
import { EXIT, ExitError } from '../errors.ts';

export type ListenTarget = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** Listen; resolves with the address as kubectl prints it ("127.0.0.1:8001", "[::1]:8001", or the socket path). */
export async function listenOn(server: Server, target: ListenTarget): Promise<string> {
  const where = target.kind === 'unix' ? target.path : joinHostPort(target.host, String(target.port));
  let restoreUmask: number | undefined;
  if (target.kind === 'unix') {
    // As kubectl: replace a stale socket (never another kind of file), and make it ours only.
    try {
      if (statSync(target.path).isSocket()) unlinkSync(target.path);
    } catch {
      // nothing there
    }
    restoreUmask = process.umask(0o077);
  }
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const listening = () => {
        server.off('error', reject);
        resolve();
      };
      if (target.kind === 'unix') server.listen(target.path, listening);
      else server.listen(target.port, target.host, listening);
    });
  } catch (err) {
    throw listenError(err, where);
  } finally {
    if (restoreUmask !== undefined) process.umask(restoreUmask);
  }
  const address = server.address();
  return typeof address === 'object' && address !== null ? joinHostPort((address as AddressInfo).address, String(address.port)) : where;
}

function listenError(err: unknown, where: string): ExitError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const why: Record<string, string> = {
    EADDRINUSE: 'the address is already in use: is another proxy running? pick another --port (0 = any free port)',
    EACCES: 'permission denied: ports below 1024 need privileges; or the socket directory is not writable',
    EADDRNOTAVAIL: 'no network interface has that address: check --address',
    ENOTFOUND: 'no such host: check --address',
    ENOENT: 'the socket directory does not exist',
  };
  return new ExitError(EXIT.CONNECTION, `cannot listen on ${where} (${code || 'error'}): ${why[code] ?? (err as Error).message}`, {
    cause: err,
  });
}
