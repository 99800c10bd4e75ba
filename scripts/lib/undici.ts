// undici, as much of it as the tools use, loaded when the first connection is made: its Agent (and
// ProxyAgent, only when a proxy is configured) and the request API its index adds to every
// Dispatcher (`dispatcher.request`, `stream`, `upgrade`…), without the index itself (fetch,
// WebSocket, caches, mocks: most of its load time). `--help` and --print-curl load none of it.
//
// Synchronous, because ServerConnection builds its dispatcher in its constructor. In the bundles
// (tools/build.ts) `require('undici/…')` is esbuild's: the files are in the bundle and evaluated on
// the first call. Under tsx an ES module has no `require`, so Node's createRequire loads the same
// files from node_modules.

import { setFlagsFromString } from 'node:v8';
import type { Agent, Dispatcher, ProxyAgent } from 'undici';

// node:module through process.getBuiltinModule (Node >= 20.16), not an ES import: in a bundle that
// import would run at start, and node:module's ES facade costs --help more than the rest of its work.
const nodeRequire =
  typeof require === 'function'
    ? undefined
    : (process.getBuiltinModule?.('node:module') ?? (await import('node:module'))).createRequire(import.meta.url);

let agentClass: typeof Agent | undefined;
let proxyAgentClass: typeof ProxyAgent | undefined;
let requestApiAdded = false;
let optimisingCompiler = false;

/**
 * Keep V8's optimising compiler for undici's HTTP parser (llhttp, WebAssembly), for a process that
 * parses many responses (the proxy). Otherwise the parser is compiled with Liftoff only: TurboFan
 * would compile the whole module in the background, which a short run never uses and waits for
 * at exit (≈0.4 s and 35 MiB of RSS per run, measured with npm run bench). Call before the first
 * connection.
 */
export function keepOptimisingCompiler(): void {
  optimisingCompiler = true;
}

function addRequestApi(): void {
  if (requestApiAdded) return;
  requestApiAdded = true;
  const dispatcher = (nodeRequire?.('undici/lib/dispatcher/dispatcher.js') ??
    require('undici/lib/dispatcher/dispatcher.js')) as typeof Dispatcher;
  // What undici's index.js does: Object.assign(Dispatcher.prototype, api).
  Object.assign(dispatcher.prototype, nodeRequire?.('undici/lib/api/index.js') ?? require('undici/lib/api/index.js'));
  // Read by V8 when the parser's module is compiled, on the first connection.
  if (!optimisingCompiler) setFlagsFromString('--liftoff-only');
}

/** undici's Agent, with the request API. */
export function undiciAgent(): typeof Agent {
  agentClass ??= (nodeRequire?.('undici/lib/dispatcher/agent.js') ?? require('undici/lib/dispatcher/agent.js')) as typeof Agent;
  addRequestApi();
  return agentClass;
}

/** undici's ProxyAgent, with the request API. */
export function undiciProxyAgent(): typeof ProxyAgent {
  proxyAgentClass ??= (nodeRequire?.('undici/lib/dispatcher/proxy-agent.js') ??
    require('undici/lib/dispatcher/proxy-agent.js')) as typeof ProxyAgent;
  addRequestApi();
  return proxyAgentClass;
}
