// An esbuild plugin: in the bundles, what a tool imports from Node's built-ins and from npm
// packages is loaded when the code first uses it, not when the bundle starts.
//
// Every import of an ES module runs before the first line of the tool, so a static
// `import { stringify } from 'yaml'` made even `--help` evaluate yaml; and an ES import of a
// built-in makes Node build the module's ES facade, which reads every export, lazy ones included
// (node:fs loads its promises API and readline with it, node:crypto its webcrypto). Here each such
// import resolves to a small CommonJS stand-in whose properties load the real module with
// require() on first access. esbuild reads a CommonJS module's exports through the object at each
// use (`import_yaml.stringify(…)`), so a name is looked up when the code runs, not when it is
// imported. The real package is still in the bundle, behind esbuild's lazy CommonJS wrapper;
// require() calls inside bundled CommonJS packages are left as they are. A module whose export is
// itself a function (a stand-in object could not be called) is imported as usual.
//
// A built-in that a bundled package requires at load only to read constants from it (undici's HTTP/2
// client reads node:http2's header names, and so loads http2 and its internals before every first
// request, HTTP/1.1 or not) gets a stand-in too: those constants copied at build time, every other
// export loaded on first access.
//
// A package imported with import() (zx, by exec-credential.ts) is already evaluated on first use by
// esbuild, but an ES package's own static imports are hoisted to the top of the bundle and run at
// start (zx's import of node:module costs as much as the rest of `--help`): such an import is
// resolved to the package's CommonJS build where it has one, whose require() calls stay inside it.

import type { Plugin } from 'esbuild';
import { createRequire, isBuiltin } from 'node:module';
import path from 'node:path';

const NAMESPACE = 'lazy-import';

/** Built-ins required by bundled packages only for these exports at load: the exports are copied at build time. */
const CONSTANTS_ONLY: Record<string, { importer: RegExp; copied: string[] }> = {
  'node:http2': { importer: /\/undici\/lib\/dispatcher\/client-h2\.js$/, copied: ['constants'] },
};

/**
 * The stand-in for `specifier`: one getter per export name (as the installed module has them), except
 * the `copied` ones, whose values are written into the stand-in.
 */
function standIn(specifier: string, exports: object, copied: readonly string[] = []): string {
  const getters = Object.entries(exports).map(([key, value]) =>
    copied.includes(key)
      ? `${JSON.stringify(key)}:{enumerable:true,value:${JSON.stringify(value)}}`
      : `${JSON.stringify(key)}:{enumerable:true,get:()=>load()[${JSON.stringify(key)}]}`,
  );
  return `let m;const load=()=>(m??=require(${JSON.stringify(specifier)}));module.exports=Object.defineProperties({},{${getters.join(',')}});`;
}

/** `root`: where the packages are installed (their export names are read from there, at build time). */
export function lazyImports(root: string): Plugin {
  const requireFromRoot = createRequire(path.join(root, 'package.json'));
  return {
    name: 'lazy-imports',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || isBuiltin(args.path) || args.importer.includes('/node_modules/')) return undefined;
        const commonJs = await build.resolve(args.path, { kind: 'require-call', resolveDir: args.resolveDir });
        return commonJs.errors.length === 0 && /\.c?js$/.test(commonJs.path) ? { path: commonJs.path } : undefined;
      });
      build.onResolve({ filter: /^node:/ }, (args) => {
        const constantsOnly = CONSTANTS_ONLY[args.path];
        if (args.kind !== 'require-call' || constantsOnly === undefined || !constantsOnly.importer.test(args.importer)) return undefined;
        return { path: args.path, namespace: NAMESPACE, pluginData: standIn(args.path, requireFromRoot(args.path), constantsOnly.copied) };
      });
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.kind !== 'import-statement' || args.namespace === NAMESPACE || args.importer.includes('/node_modules/')) return undefined;
        const specifier = isBuiltin(args.path) && !args.path.startsWith('node:') ? `node:${args.path}` : args.path;
        let exports: unknown;
        try {
          exports = requireFromRoot(specifier);
        } catch {
          return undefined; // an ES-only package: imported as usual
        }
        if (typeof exports !== 'object' || exports === null) return undefined;
        return { path: specifier, namespace: NAMESPACE, pluginData: standIn(specifier, exports) };
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({
        contents: args.pluginData as string,
        loader: 'js',
        resolveDir: root,
      }));
    },
  };
}
