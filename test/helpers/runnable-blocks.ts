// The runnable shell blocks of a Markdown page (docs/walkthrough*.md), for test/docs.bats, which
// runs each one in the pod sandbox and checks that it prints what the page shows.
//
// A shell block is a fenced block whose info string starts with console, sh, bash or shell. Every
// one of them says whether it runs:
//
//   ```console runnable pod="--service-account test/default" output=exact
//   $ get-api.ts /version
//   {
//   ...
//   ```
//   ```sh norun                       (shown, never run: e.g. a command for a real cluster)
//
// Words after the language (Markdown renderers ignore them; GitHub shows only the language):
//   runnable             run by test/docs.bats; only console blocks can be runnable
//   norun                never run
//   pod="FLAGS"          fixtures/pod flags for the sandbox it runs in (default: none, i.e. the
//                        default/default service account); split on blanks
//   as=admin             run as a cluster admin's workstation would: with ~/.kube/config set to the
//                        sandbox's cluster-admin credentials (test-only, fixtures/README.md), so
//                        kubectl and the scripts use that kubeconfig instead of the pod's files
//   output=exact         the block must be exactly the transcript the run prints (the default)
//   output=pattern       the same, except that in an output line "…" stands for any text within
//                        that line, and a line that is only "…" for any number of lines (for values
//                        that change on every run: timestamps, uids, token-derived values)
//
// Inside a runnable block, "$ " starts a command (a line ending in "\" continues it); every other
// line is output. The run prints each command as shown, then what it wrote to the terminal (stdout
// and stderr, in the order written), then a newline if that output did not end with one (so the
// next "$ " starts a line, as a shell prompt does). Commands run one after another in one bash on a
// pseudo-terminal, with NO_COLOR=1 and npm_config_progress=false (no colour codes, and no npx
// spinner, which a terminal erases as it goes), from the repository root, so a variable set in one
// is seen by the next; a command's exit status is not shown unless the command prints it
// (echo "exit code $?").
//
// Usage: node --import tsx test/helpers/runnable-blocks.ts COMMAND FILE [LINE]
//   list FILE...        one line per runnable block: FILE<TAB>LINE<TAB>KEY<TAB>POD FLAGS<TAB>MODE<TAB>FIRST COMMAND,
//                       where POD FLAGS is "-" for none and KEY names what runs (the pod flags and the
//                       script): blocks with the same KEY print the same transcript, so it is run once
//   script FILE LINE    the bash script that prints the block's transcript (run it in the sandbox)
//   expected FILE LINE  output=exact: the block's text; output=pattern: an extended regular
//                       expression (bash [[ =~ ]], bats-assert --regexp) that the transcript must match
//   commands FILE       the commands of every runnable block, one per line, comments left out (to
//                       check that two translations of a page run the same commands)
//   prepare DIR FILE... what list prints, and for every block DIR/KEY.sh (its script) and
//                       DIR/expected/FILE:LINE (what it must print, FILE with / as _): one process
//                       for what would otherwise take one per block
// Exit codes: 0 ok; 1 a malformed block (named by FILE:LINE on stderr); 2 usage.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SHELL_LANGUAGES = new Set(['console', 'sh', 'bash', 'shell']);
const WILDCARD = '…';

export type OutputMode = 'exact' | 'pattern';

export interface Command {
  /** The lines as the page shows them, prompt included. */
  shown: string[];
  /** What bash runs: the shown lines without the "$ " prompt. */
  code: string;
  /** Where the shown lines are in the block's body (0-based). */
  indexes: number[];
}

export interface RunnableBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  podFlags: string[];
  /** as=admin: a cluster-admin ~/.kube/config is written before the first command. */
  admin: boolean;
  mode: OutputMode;
  /** The block's lines between the fences. */
  body: string[];
  commands: Command[];
}

export class BlockError extends Error {}

/** `runnable pod="--service-account test/default" output=exact` → words and key=value pairs. */
function parseInfoWords(info: string, where: string): { words: Set<string>; values: Map<string, string> } {
  const words = new Set<string>();
  const values = new Map<string, string>();
  for (const match of info.matchAll(/(\S+?)="([^"]*)"|(\S+?)=(\S+)|(\S+)/g)) {
    const key = match[1] ?? match[3];
    if (key !== undefined) values.set(key, (match[2] ?? match[4]) as string);
    else words.add(match[5] as string);
  }
  for (const key of values.keys()) {
    if (key !== 'pod' && key !== 'output' && key !== 'as') throw new BlockError(`${where}: unknown attribute ${key}= (pod=, as=, output=)`);
  }
  for (const word of words) {
    if (word !== 'runnable' && word !== 'norun') throw new BlockError(`${where}: unknown word "${word}" (runnable, norun)`);
  }
  return { words, values };
}

/** The commands of a runnable block's body. */
export function parseCommands(body: readonly string[], where: string): Command[] {
  const commands: Command[] = [];
  let continuing: Command | undefined;
  body.forEach((line, index) => {
    if (continuing !== undefined) {
      continuing.shown.push(line);
      continuing.indexes.push(index);
      continuing.code += `\n${line}`;
      if (!line.endsWith('\\')) continuing = undefined;
      return;
    }
    if (line.startsWith('$ ')) {
      const command: Command = { shown: [line], code: line.slice(2), indexes: [index] };
      commands.push(command);
      if (line.endsWith('\\')) continuing = command;
    } else if (commands.length === 0) {
      throw new BlockError(`${where}: output before the first "$ " command`);
    }
  });
  if (continuing !== undefined) throw new BlockError(`${where}: the last command ends with "\\" but nothing follows`);
  if (commands.length === 0) throw new BlockError(`${where}: a runnable block without a "$ " command`);
  return commands;
}

/** Every runnable block of a Markdown text; throws BlockError for an unmarked or malformed shell block. */
export function runnableBlocks(file: string, text: string): RunnableBlock[] {
  const lines = text.split('\n');
  const blocks: RunnableBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,}|~{3,})\s*(\S*)\s*(.*)$/.exec(lines[i] as string);
    if (open === null) continue;
    const fence = open[1] as string;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !new RegExp(`^${fence[0]}{${fence.length},}\\s*$`).test(lines[i] as string); i++) {
      body.push(lines[i] as string);
    }
    const where = `${file}:${start + 1}`;
    if (i >= lines.length) throw new BlockError(`${where}: the block is never closed`);
    const language = open[2] as string;
    if (!SHELL_LANGUAGES.has(language)) continue;
    const { words, values } = parseInfoWords(open[3] as string, where);
    if (words.has('runnable') === words.has('norun')) {
      throw new BlockError(`${where}: a ${language} block must say "runnable" or "norun" after the language`);
    }
    if (words.has('norun')) continue;
    if (language !== 'console') throw new BlockError(`${where}: only console blocks (a transcript with "$ ") can be runnable`);
    const mode = values.get('output') ?? 'exact';
    if (mode !== 'exact' && mode !== 'pattern') throw new BlockError(`${where}: output=${mode} (exact or pattern)`);
    const commands = parseCommands(body, where);
    if (mode === 'pattern') checkPattern(body, commands, where);
    const as = values.get('as');
    if (as !== undefined && as !== 'admin') throw new BlockError(`${where}: as=${as} (only as=admin)`);
    const pod = values.get('pod') ?? '';
    blocks.push({ file, line: start + 1, podFlags: pod.split(/\s+/).filter(Boolean), admin: as === 'admin', mode, body, commands });
  }
  return blocks;
}

/** The indexes of a body's output lines: every line not part of a command. */
function outputLines(body: readonly string[], commands: readonly Command[]): Set<number> {
  const commandLines = new Set(commands.flatMap((command) => command.indexes));
  return new Set([...body.keys()].filter((index) => !commandLines.has(index)));
}

function checkPattern(body: readonly string[], commands: readonly Command[], where: string): void {
  const output = outputLines(body, commands);
  if (![...output].some((index) => (body[index] as string).includes(WILDCARD))) {
    throw new BlockError(`${where}: output=pattern but no "${WILDCARD}" in the output: make it output=exact`);
  }
  if (body.at(-1) === WILDCARD) throw new BlockError(`${where}: a pattern block cannot end with a "${WILDCARD}" line`);
}

// as=admin: the sandbox's test-only cluster-admin token and CA (fixtures/README.md, "Test-only knobs"),
// written where kubectl and the scripts look first when no flag or $KUBECONFIG says otherwise.
const ADMIN_KUBECONFIG = [
  'mkdir -p ~/.kube',
  'cat >~/.kube/config <<KUBECONFIG',
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{name: sandbox, cluster: {server: "https://kubernetes.default.svc", certificate-authority: "$KUBE_IN_POD_CA_FILE"}}]',
  'users: [{name: admin, user: {tokenFile: "$KUBE_IN_POD_ADMIN_TOKEN_FILE"}}]',
  'contexts: [{name: admin, context: {cluster: sandbox, user: admin, namespace: default}}]',
  'current-context: admin',
  'KUBECONFIG',
];

/** A string as a bash single-quoted word. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** Marks where a command is shown in the terminal's output, so a line left open before it can be closed. */
const PROMPT_MARK = '\x1e';
const INNER_END = 'END_OF_RUNNABLE_BLOCK';

/**
 * The bash script that prints the transcript of `block`: its commands run in one bash on a terminal
 * (script(1) gives them a pseudo-terminal, so curl, kubectl and the scripts behave as in front of a
 * reader: no progress meter, stdout and stderr on one terminal), with NO_COLOR=1 so that the page
 * shows no colour codes and npm_config_progress=false so that it shows no npx spinner (which the
 * terminal erases as it goes); the terminal's CR LF line ends are turned back into LF.
 */
export function transcriptScript(block: RunnableBlock): string {
  const inner = ['export NO_COLOR=1 npm_config_progress=false', ...(block.admin ? ADMIN_KUBECONFIG : [])];
  for (const command of block.commands) {
    inner.push(`printf '${PROMPT_MARK}%s\\n' ${shellQuote(command.shown.join('\n'))}`, `eval ${shellQuote(command.code)} </dev/null`);
  }
  // The transcript's status says whether it could be made, not how the last command ended.
  inner.push('exit 0');
  if (inner.join('\n').split('\n').includes(INNER_END))
    throw new BlockError(`${block.file}:${block.line}: the block contains the line ${INNER_END}`);
  return [
    '# a runnable block, made by test/helpers/runnable-blocks.ts',
    'set -o pipefail',
    'inner=$(mktemp)',
    `cat >"$inner" <<'${INNER_END}'`,
    ...inner,
    INNER_END,
    // A command whose output does not end in a newline: the next prompt starts a new line, as a shell's would.
    `script --quiet --return --command "bash $inner" /dev/null </dev/null | tr -d '\\r' | perl -0pe 's/(?<=[^\\n])${PROMPT_MARK}/\\n/g; s/${PROMPT_MARK}//g'`,
    'status=$?',
    'rm -f "$inner"',
    'exit "$status"',
    '',
  ].join('\n');
}

/** What runs: the same for two blocks (in two translations of a page) that run the same thing the same way. */
export function blockKey(block: RunnableBlock): string {
  return createHash('sha256')
    .update(`${block.podFlags.join(' ')}\n${transcriptScript(block)}`)
    .digest('hex')
    .slice(0, 16);
}

/** One character or text as a literal in a POSIX extended regular expression (bracketed, as ERE has no portable escapes). */
function ereLiteral(text: string): string {
  return text.replace(/[.[\]()*+?{}|$\\^]/g, (char) => (char === '^' ? '\\^' : char === ']' ? '[]]' : `[${char}]`));
}

/**
 * The ERE a transcript must match for an output=pattern block: commands literally, output lines
 * literally except "…" (any text within the line) and "…" lines (any number of lines). Newlines are
 * literal newline characters (bash's =~ has no \n).
 */
export function transcriptPattern(block: RunnableBlock): string {
  const output = outputLines(block.body, block.commands);
  const notNewline = '[^\n]*';
  let pattern = '^';
  block.body.forEach((line, index) => {
    const last = index === block.body.length - 1;
    if (output.has(index) && line === WILDCARD) {
      pattern += `(${notNewline}\n)*`;
      return;
    }
    const literal = output.has(index) ? line.split(WILDCARD).map(ereLiteral).join(notNewline) : ereLiteral(line);
    pattern += last ? literal : `${literal}\n`;
  });
  return `${pattern}$`;
}

/** What the transcript must be (exact) or match (pattern). */
export function expected(block: RunnableBlock): string {
  return block.mode === 'exact' ? `${block.body.join('\n')}\n` : `${transcriptPattern(block)}\n`;
}

/** The commands of every runnable block, comment-only commands left out. */
export function commandList(blocks: readonly RunnableBlock[]): string[] {
  return blocks.flatMap((block) => block.commands.map((command) => command.code)).filter((code) => !/^\s*#/.test(code));
}

function blocksOf(file: string): RunnableBlock[] {
  return runnableBlocks(file, readFileSync(file, 'utf8'));
}

function blockAt(file: string, line: string | undefined): RunnableBlock {
  const block = blocksOf(file).find((candidate) => String(candidate.line) === line);
  if (block === undefined) throw new BlockError(`${file}:${line}: no runnable block starts on this line`);
  return block;
}

function firstCommand(block: RunnableBlock): string {
  const code = block.commands.find((command) => !command.code.startsWith('#'))?.code ?? '';
  const line = code.split('\n')[0] as string;
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

function listLine(block: RunnableBlock): string {
  const flags = block.podFlags.length === 0 ? '-' : block.podFlags.join(' ');
  return `${block.file}\t${block.line}\t${blockKey(block)}\t${flags}\t${block.mode}\t${firstCommand(block)}\n`;
}

function prepare(dir: string, files: readonly string[]): void {
  mkdirSync(join(dir, 'expected'), { recursive: true });
  for (const file of files) {
    for (const block of blocksOf(file)) {
      writeFileSync(join(dir, `${blockKey(block)}.sh`), transcriptScript(block));
      writeFileSync(join(dir, 'expected', `${file.replaceAll('/', '_')}:${block.line}`), expected(block));
      process.stdout.write(listLine(block));
    }
  }
}

function main(args: readonly string[]): number {
  const [command, file, line] = args;
  const usage = 'usage: runnable-blocks.ts list FILE... | script FILE LINE | expected FILE LINE | commands FILE | prepare DIR FILE...';
  if (file === undefined) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  try {
    switch (command) {
      case 'list':
        for (const each of args.slice(1)) {
          for (const block of blocksOf(each)) process.stdout.write(listLine(block));
        }
        return 0;
      case 'prepare':
        prepare(file, args.slice(2));
        return 0;
      case 'script':
        process.stdout.write(transcriptScript(blockAt(file, line)));
        return 0;
      case 'expected':
        process.stdout.write(expected(blockAt(file, line)));
        return 0;
      case 'commands':
        process.stdout.write(
          commandList(blocksOf(file))
            .map((code) => `${code}\n`)
            .join(''),
        );
        return 0;
      default:
        process.stderr.write(`${usage}\n`);
        return 2;
    }
  } catch (err) {
    if (!(err instanceof BlockError)) throw err;
    process.stderr.write(`runnable-blocks: ${err.message}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
