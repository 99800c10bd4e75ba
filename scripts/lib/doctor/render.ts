// The report on stdout: for people, one line per check (✓ ! ✗ -, or + ! x - where the terminal is
// not UTF-8), then the first failure's cause, evidence and fix (and the RBAC YAML when that is the
// fix); for programs, the DoctorReport as JSON (-o json).

import { buildReport, firstFailure, orderChecks, type CheckResult, type CheckStatus } from './report.ts';

export interface HumanStyle {
  unicode: boolean;
  colour: boolean;
}

const SYMBOLS: Record<'unicode' | 'ascii', Record<CheckStatus, string>> = {
  unicode: { pass: '✓', warn: '!', fail: '✗', skip: '-' },
  ascii: { pass: '+', warn: '!', fail: 'x', skip: '-' },
};

// SGR colours: green, yellow, red, dim.
const COLOURS: Record<CheckStatus, string> = { pass: '32', warn: '33', fail: '31', skip: '2' };

/**
 * UTF-8 when the locale says so (LC_ALL, then LC_CTYPE, then LANG: the first one set decides, as
 * setlocale(3) does); colour only on a terminal, never with NO_COLOR (https://no-color.org) or TERM=dumb.
 */
export function terminalStyle(env: Readonly<Record<string, string | undefined>>, isTty: boolean): HumanStyle {
  const locale = [env.LC_ALL, env.LC_CTYPE, env.LANG].find((value) => value !== undefined && value !== '') ?? '';
  return {
    unicode: /utf-?8/i.test(locale),
    colour: isTty && (env.NO_COLOR === undefined || env.NO_COLOR === '') && env.TERM !== 'dumb',
  };
}

const ID_WIDTH = Math.max(...['environment', 'proxy-env', 'exposure'].map((id) => id.length));

function label(style: HumanStyle, status: CheckStatus): string {
  const symbol = SYMBOLS[style.unicode ? 'unicode' : 'ascii'][status];
  return style.colour ? `\x1b[${COLOURS[status]}m${symbol}\x1b[0m` : symbol;
}

function block(name: string, lines: readonly string[]): string {
  const head = `  ${`${name}:`.padEnd(10)}`;
  return lines.map((line, index) => `${index === 0 ? head : ' '.repeat(head.length)}${line}\n`).join('');
}

export function renderHuman(results: readonly CheckResult[], style: HumanStyle): string {
  const ordered = orderChecks(results);
  let out = '';
  for (const result of ordered) {
    out += `${label(style, result.status)} ${result.id.padEnd(ID_WIDTH)}  ${result.summary}\n`;
    if (result.status === 'warn' && result.fix !== undefined) out += `${' '.repeat(ID_WIDTH + 4)}fix: ${result.fix}\n`;
  }
  const count = (status: CheckStatus) => ordered.filter((result) => result.status === status).length;
  out += `\n${ordered.length} checks: ${count('pass')} passed, ${count('warn')} warned, ${count('fail')} failed, ${count('skip')} skipped\n`;
  const failure = firstFailure(ordered);
  if (failure === undefined) return out;
  out += `\nFirst failure: ${failure.id}\n`;
  out += block('cause', [failure.cause ?? failure.summary]);
  if (failure.evidence !== undefined) out += block('evidence', failure.evidence);
  if (failure.fix !== undefined) out += block('fix', [failure.fix]);
  if (failure.yaml !== undefined) out += `\n${failure.yaml}`;
  return out;
}

export function renderJson(results: readonly CheckResult[]): string {
  return `${JSON.stringify(buildReport(results), null, 2)}\n`;
}
