// The licences of the npm packages a bundle carries. Each bundle starts with a comment naming them,
// with their licence texts (MIT and ISC ask that the notice travel with every copy; Apache-2.0 that a
// copy of the licence does), so a bundle copied alone into an image stays compliant; the same texts
// go to dist/THIRD-PARTY-NOTICES for the package. Which packages: esbuild's metafile lists every
// input file, and a file under node_modules/NAME/ belongs to NAME.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BundledPackage {
  name: string;
  version: string;
  license: string;
  /** The package's own licence file, verbatim. */
  text: string;
}

const LICENSE_FILE = /^(licen[cs]e|copying)(\.(md|txt))?$/i;

/** The package directory ("node_modules/@scope/name") of an input path, if it is in one. */
function packageDir(input: string): string | undefined {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

/** The packages whose files are among `inputs` (paths relative to `root`, as esbuild's metafile has them). */
export function bundledPackages(root: string, inputs: Iterable<string>): BundledPackage[] {
  const dirs = new Set<string>();
  for (const input of inputs) {
    const dir = packageDir(input);
    if (dir !== undefined) dirs.add(dir);
  }
  return [...dirs]
    .map((dir) => {
      const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
        license?: string;
      };
      const file = readdirSync(join(root, dir)).find((name) => LICENSE_FILE.test(name));
      if (file === undefined) throw new Error(`${manifest.name} has no licence file in ${dir}: cannot bundle it without one`);
      return {
        name: manifest.name,
        version: manifest.version,
        license: manifest.license ?? 'see its licence file',
        text: readFileSync(join(root, dir, file), 'utf8').trim(),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function section(pkg: BundledPackage): string {
  return `${pkg.name} ${pkg.version} (${pkg.license})\n\n${pkg.text}\n`;
}

/** dist/THIRD-PARTY-NOTICES: every bundled package, with its licence text. */
export function noticesFile(packages: readonly BundledPackage[]): string {
  const rule = `\n${'-'.repeat(78)}\n\n`;
  return `kube-in-pod bundles these packages; their licences follow.\n${rule}${packages.map(section).join(rule)}`;
}

/** The comment a bundle starts with (a legal comment: minifiers keep it). */
export function bannerComment(packages: readonly BundledPackage[]): string {
  const names = packages.map((pkg) => `${pkg.name} ${pkg.version} (${pkg.license})`).join(', ');
  const body = `kube-in-pod (Apache-2.0). This file bundles ${names}.\n\n${packages.map(section).join('\n')}`;
  // A "*/" inside a licence text would end the comment early.
  return `/*!\n${body.replaceAll('*/', '* /')}*/`;
}
