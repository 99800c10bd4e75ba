// Reading a file the configuration names (token, CA, client certificate or key, kubeconfig,
// namespace): any failure to read it (ENOENT, EACCES, EISDIR, …) is a configuration error,
// exit 3, naming what the file was for and its path; never a bug (exit 1).

import { readFileSync } from 'node:fs';
import { configError } from './errors.ts';

export interface ReadConfigFileOptions {
  /** Advice appended to the message for this errno code (e.g. ENOENT), if any. */
  hint?: (code: string) => string | undefined;
  /** How to read the file (tests inject one); default readFileSync as UTF-8. */
  read?: (path: string) => string;
}

/** The text of `path`, or exit 3: "cannot read WHAT PATH (CODE)[: hint]". */
export function readConfigFile(path: string, what: string, options: ReadConfigFileOptions = {}): string {
  try {
    return (options.read ?? ((file: string) => readFileSync(file, 'utf8')))(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const hint = options.hint?.(code);
    throw configError(`cannot read ${what} ${path} (${code})${hint ? `: ${hint}` : ''}`, err);
  }
}
