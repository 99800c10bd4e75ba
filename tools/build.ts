#!/usr/bin/env -S npx tsx
/**
 * build — bundle the tools for plain `node` (>= 20), with nothing else installed: every
 * scripts/*.ts that starts with the `npx tsx` shebang is a tool. It writes
 *   dist/kube-in-pod.mjs    every tool in one file: `node kube-in-pod.mjs get-api /api`, or through a
 *                           link named after the tool (`get-api` → kube-in-pod.mjs; tools/dispatch.ts);
 *   dist/<tool>.mjs         one tool per file: `node get-api.mjs /api`;
 *   dist/THIRD-PARTY-NOTICES  the licences of the bundled packages (each bundle also starts with them).
 * Minified; undici, yaml, zx and the rest are inside, loaded on first use (scripts/lib/packages.ts).
 * A developer tool, not a flow: it talks to no cluster, so it has no curl equivalent.
 * Run it with `npm run build`; the flags are in USAGE below (--help).
 *
 * Reads: scripts/*.ts (scripts/lib/ is bundled into them), node_modules (the packages and their licences).
 * Exit codes: 0 built, 1 bundling or the --check run failed, 2 usage.
 */

import { build, type Metafile } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { lazyImports } from './lazy-imports.ts';
import { bannerComment, bundledPackages, noticesFile } from './notices.ts';

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SCRIPTS_DIR = join(REPO_ROOT, 'scripts');
const DEFAULT_OUTDIR = join(REPO_ROOT, 'dist');
/** What makes a scripts/*.ts file a tool. */
const TOOL_SHEBANG = '#!/usr/bin/env -S npx tsx';
const NODE_SHEBANG = '#!/usr/bin/env node';
const MULTI_TOOL_BUNDLE = 'kube-in-pod';
// Bundled CommonJS packages call require() for Node built-ins, and so do the stand-ins of
// lazy-imports.ts and scripts/lib/undici.ts; an ES module has no require, so give it one. Through
// process.getBuiltinModule (Node >= 20.16) rather than an ES import of node:module, whose ES facade
// alone costs a bundle's --help a tenth of `node -e 0`.
const REQUIRE_SHIM =
  "const require=(process.getBuiltinModule?.('node:module')??await import('node:module')).createRequire(import.meta.url);";
const EXIT_BUILD_FAILED = 1;
const EXIT_USAGE = 2;

const USAGE = `Usage: tools/build.ts [--check] [--outdir DIR]      (npm run build)

Bundle every tool in scripts/ into dist/kube-in-pod.mjs (all tools, as subcommands or by link name)
and dist/<tool>.mjs (one each), minified, with dist/THIRD-PARTY-NOTICES.

  --check         afterwards, run every bundle with "node FILE --help" (and each subcommand)
  --outdir DIR    output directory (default dist/)
  -h, --help      show this help
`;

interface BuildOptions {
  check: boolean;
  outdir: string;
}

interface ToolSource {
  name: string;
  file: string;
  /** The first clause of the header comment's "name — what it does" line. */
  summary: string;
}

interface Bundled {
  file: string;
  inputs: string[];
}

function parseCommandLine(args: string[]): BuildOptions | undefined {
  const { values } = parseArgs({
    args,
    options: { check: { type: 'boolean' }, outdir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) return undefined;
  return { check: values.check === true, outdir: resolve(values.outdir ?? DEFAULT_OUTDIR) };
}

/** "GET /api (or any path) from the Kubernetes API server" from " * get-api — GET /api (…) from …, the way". */
function summaryOf(name: string, source: string): string {
  const line = source.split('\n').find((text) => text.includes(` ${name} — `));
  if (line === undefined) return '';
  return line
    .slice(line.indexOf(' — ') + 3)
    .trim()
    .replace(/[,:] [^()]*$/, '');
}

/** Every scripts/*.ts that starts with the tsx shebang, sorted by name. */
async function findTools(dir: string = SCRIPTS_DIR): Promise<ToolSource[]> {
  const tools: ToolSource[] = [];
  for (const entry of (await readdir(dir)).filter((name) => name.endsWith('.ts')).sort()) {
    const file = join(dir, entry);
    const source = await readFile(file, 'utf8');
    if (!source.startsWith(`${TOOL_SHEBANG}\n`)) continue;
    const name = entry.slice(0, -'.ts'.length);
    tools.push({ name, file, summary: summaryOf(name, source) });
  }
  return tools;
}

/** The entry of the multi-tool bundle: the dispatcher and a lazy import() per tool. */
function dispatcherEntry(tools: readonly ToolSource[]): string {
  const rows = tools.map(
    (tool) =>
      `  ${JSON.stringify(tool.name)}: { summary: ${JSON.stringify(tool.summary)}, load: () => import(${JSON.stringify(`./${relative(REPO_ROOT, tool.file)}`)}) },`,
  );
  return `import { dispatch } from './tools/dispatch.ts';\nawait dispatch({\n${rows.join('\n')}\n});\n`;
}

/**
 * The text with every non-ASCII character written as a \\uXXXX escape (esbuild leaves a few in regular
 * expressions and licence comments). One such character makes V8 hold the whole source as UTF-16:
 * twice the memory, and slower to decode and scan. The escape means the same in strings, regular
 * expressions and identifiers, and nothing in comments.
 */
function asciiOnly(text: string): string {
  return text.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Replace `file` in one step (a temporary file, then rename), so a test or bench running it never sees half a bundle. */
async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode });
  await chmod(temporary, mode);
  await rename(temporary, file);
}

/** Bundle one entry (a file, or source text) into `file`, with a node shebang and the licence banner. */
async function bundle(entry: { file: string } | { source: string }, file: string): Promise<Bundled> {
  const result = await build({
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.source, loader: 'ts', resolveDir: REPO_ROOT, sourcefile: 'kube-in-pod.ts' } }),
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    write: false,
    metafile: true,
    // Licence comments inside the packages' sources are kept at the end; the full texts are in the banner.
    legalComments: 'eof',
    logLevel: 'warning',
    banner: { js: REQUIRE_SHIM },
    plugins: [lazyImports(REPO_ROOT)],
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced nothing for ${file}`);
  const inputs = Object.keys((result.metafile as Metafile).inputs);
  const code = output.text.replace(/^#![^\n]*\n/, '');
  await writeAtomically(file, asciiOnly(`${NODE_SHEBANG}\n${bannerComment(bundledPackages(REPO_ROOT, inputs))}\n${code}`), 0o755);
  return { file, inputs };
}

/** Run `node FILE ARGS --help` outside the repo; true when it prints a Usage and exits 0. */
function checkHelp(file: string, args: string[]): boolean {
  const result = spawnSync(process.execPath, [file, ...args, '--help'], { cwd: dirname(file), encoding: 'utf8' });
  const ok = result.status === 0 && result.stdout.startsWith('Usage:');
  const shown = ['node', relative(process.cwd(), file), ...args, '--help'].join(' ');
  process.stderr.write(`${ok ? 'ok' : 'FAILED'}: ${shown}${ok ? '' : `\n${result.stderr}`}\n`);
  return ok;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

async function main(): Promise<number> {
  let options: BuildOptions | undefined;
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { outdir } = options;
  await mkdir(outdir, { recursive: true });
  const tools = await findTools();
  const built: Bundled[] = [await bundle({ source: dispatcherEntry(tools) }, join(outdir, `${MULTI_TOOL_BUNDLE}.mjs`))];
  for (const tool of tools) built.push(await bundle({ file: tool.file }, join(outdir, `${tool.name}.mjs`)));
  await writeAtomically(
    join(outdir, 'THIRD-PARTY-NOTICES'),
    noticesFile(
      bundledPackages(
        REPO_ROOT,
        built.flatMap((b) => b.inputs),
      ),
    ),
    0o644,
  );
  for (const { file } of built) {
    process.stderr.write(`built ${relative(process.cwd(), file)} (${kib((await readFile(file)).length)})\n`);
  }
  if (!options.check) return 0;
  const multi = join(outdir, `${MULTI_TOOL_BUNDLE}.mjs`);
  const checks = [
    ...tools.map((tool) => checkHelp(join(outdir, `${tool.name}.mjs`), [])),
    ...tools.map((tool) => checkHelp(multi, [tool.name])),
  ];
  return checks.every(Boolean) ? 0 : EXIT_BUILD_FAILED;
}

await main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(EXIT_BUILD_FAILED);
  },
);
