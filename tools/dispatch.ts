// The front of dist/kube-in-pod.mjs (tools/build.ts generates the table of tools): one file with
// every tool, chosen as a subcommand (`node kube-in-pod.mjs get-api /api`) or, busybox-style, by the
// name the file is invoked by (a link `get-api` → kube-in-pod.mjs, as npm's `bin` links are). Only
// the chosen tool's code is evaluated: esbuild turns each `import()` of the table into a lazy
// initialiser inside the one file, so the others cost only their parse.
//
// Exit codes: the tool's own; 0 for --help; 2 (usage) for a missing or unknown tool.

import { basename } from 'node:path';

export interface Tool {
  /** One line: what the tool does. */
  summary: string;
  /** Evaluate the tool's module; its top-level `await runScript(…)` runs it and exits. */
  load: () => Promise<unknown>;
}

/**
 * Where cli.ts's runScript finds the name the tool was invoked as, for its Usage lines
 * ("kube-in-pod get-api"); without it, runScript uses the file name in process.argv[1].
 */
export const INVOKED_AS = Symbol.for('kube-in-pod.invoked-as');

const EXIT_USAGE = 2;
const BUNDLE_NAME = 'kube-in-pod';

/** "get-api" for /usr/local/bin/get-api or ./get-api.mjs; the bundle's own name for `node -` (stdin). */
function fileName(argv1: string | undefined): string {
  const name = basename(argv1 ?? '-').replace(/\.(mjs|js)$/, '');
  return name === '-' || name === '' ? BUNDLE_NAME : name;
}

function usage(self: string, tools: Record<string, Tool>): string {
  const width = Math.max(...Object.keys(tools).map((name) => name.length));
  const rows = Object.entries(tools).map(([name, tool]) => `  ${name.padEnd(width)}  ${tool.summary}`);
  return `Usage: ${self} TOOL [ARGS...]
       TOOL [ARGS...]            (through a link named after the tool: ln -s ${self} get-api)

Reach the Kubernetes API server from inside a Pod. Tools:

${rows.join('\n')}

Run "${self} TOOL --help" for a tool's flags.
`;
}

/** Run the tool named by the invoked file name or by the first argument; resolves only if the tool returns. */
export async function dispatch(tools: Record<string, Tool>): Promise<void> {
  const invoked = fileName(process.argv[1]);
  const byName = Object.hasOwn(tools, invoked) ? tools[invoked] : undefined;
  if (byName !== undefined) {
    (globalThis as Record<symbol, unknown>)[INVOKED_AS] = invoked;
    await byName.load();
    return;
  }
  const wanted = process.argv[2];
  const tool = wanted !== undefined && Object.hasOwn(tools, wanted) ? tools[wanted] : undefined;
  if (tool !== undefined) {
    (globalThis as Record<symbol, unknown>)[INVOKED_AS] = `${invoked} ${wanted}`;
    process.argv.splice(2, 1);
    await tool.load();
    return;
  }
  if (wanted === '-h' || wanted === '--help') {
    process.stdout.write(usage(invoked, tools));
    process.exit(0);
  }
  const problem = wanted === undefined ? 'missing TOOL' : `unknown tool ${JSON.stringify(wanted)}`;
  process.stderr.write(`error: ${problem}\n\n${usage(invoked, tools)}`);
  process.exit(EXIT_USAGE);
}
