#!/usr/bin/env -S npx tsx
/**
 * build — bundle every flow in scripts/ into one self-contained file, dist/<name>.mjs, that
 * runs with plain `node` (>= 20) and nothing else: undici, yaml and zx are bundled in. Copy a
 * file into a debug image and run it: `node get-api.mjs /api` or `./get-api.mjs`.
 * A developer tool, not a flow: it talks to no cluster, so it has no curl equivalent.
 * Run it with `npm run build`; the flags are in USAGE below (--help).
 *
 * Reads: scripts/*.ts (each one a flow; scripts/lib/ is bundled into them).
 * Exit codes: 0 built, 1 bundling or the --help check failed, 2 usage.
 */

import { build, type BuildResult } from 'esbuild';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { $ } from 'zx';

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SCRIPTS_DIR = join(REPO_ROOT, 'scripts');
const DEFAULT_OUTDIR = join(REPO_ROOT, 'dist');
const SHEBANG = '#!/usr/bin/env node';
// Bundled CommonJS dependencies call require() for Node built-ins; an ES module has none, so give it one.
const REQUIRE_SHIM =
  "import { createRequire as __kipCreateRequire } from 'node:module'; const require = __kipCreateRequire(import.meta.url);";
const EXIT_BUILD_FAILED = 1;
const EXIT_USAGE = 2;

const USAGE = `Usage: tools/build.ts [--check] [--outdir DIR]      (npm run build)

Bundle each script in scripts/ into a self-contained dist/<name>.mjs for plain node.

  --check         run every bundle with "node FILE --help" afterwards
  --outdir DIR    output directory (default dist/)
  -h, --help      show this help
`;

interface BuildOptions {
  check: boolean;
  outdir: string;
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

/** Every scripts/*.ts: the flows (their libraries live in scripts/lib/). */
async function scriptEntryPoints(): Promise<string[]> {
  const names = await readdir(SCRIPTS_DIR);
  return names
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => join(SCRIPTS_DIR, name));
}

/** Bundle one script; the source's tsx shebang is replaced by a plain node one. */
async function bundle(entry: string, outdir: string): Promise<string> {
  const result: BuildResult<{ write: false }> = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
    banner: { js: REQUIRE_SHIM },
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced nothing for ${entry}`);
  const code = output.text.replace(/^#![^\n]*\n/, '');
  const file = join(outdir, `${basename(entry, '.ts')}.mjs`);
  await writeFile(file, `${SHEBANG}\n${code}`);
  await chmod(file, 0o755);
  return file;
}

/** Run a bundle with plain node, outside the repo, and check --help works. */
async function checkBundle(file: string): Promise<boolean> {
  const result = await $({ nothrow: true, quiet: true, cwd: dirname(file) })`${process.execPath} ${file} --help`;
  const ok = result.exitCode === 0 && result.stdout.startsWith('Usage:');
  process.stderr.write(`${ok ? 'ok' : 'FAILED'}: node ${file} --help${ok ? '' : `\n${result.stderr}`}\n`);
  return ok;
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
  await mkdir(options.outdir, { recursive: true });
  const files: string[] = [];
  for (const entry of await scriptEntryPoints()) {
    files.push(await bundle(entry, options.outdir));
    process.stderr.write(`built ${files[files.length - 1]}\n`);
  }
  if (!options.check) return 0;
  let allOk = true;
  for (const file of files) allOk = (await checkBundle(file)) && allOk;
  return allOk ? 0 : EXIT_BUILD_FAILED;
}

await main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`error: build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(EXIT_BUILD_FAILED);
  },
);
