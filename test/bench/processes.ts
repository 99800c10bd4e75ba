// Whole-process timings through timer.py (os.wait4: wall, CPU of every thread, peak RSS), all
// commands of a table round-robin so the machine's load touches each row alike.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, percentile } from './stats.ts';

const TIMER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'timer.py');

export interface ProcessStats {
  wallMs: number;
  wallP90Ms: number;
  cpuMs: number;
  maxRssMiB: number;
  runs: number;
}

interface Run {
  command: number;
  wallMs: number;
  cpuMs: number;
  maxRssKiB: number;
  status: number;
  stderr?: string;
}

/** Run every argv `runs` times, round-robin, and summarise each. Any failing run voids the bench (throws). */
export async function timeProcesses(commands: readonly string[][], runs: number, cwd: string): Promise<ProcessStats[]> {
  const child = spawn('/usr/bin/python3', [TIMER, String(runs)], { cwd, stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(JSON.stringify(commands));
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (status !== 0) throw new Error(`test/bench/timer.py exited ${status}`);
  const all = output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Run);
  return commands.map((argv, index) => {
    const mine = all.filter((run) => run.command === index);
    const failed = mine.find((run) => run.status !== 0);
    if (failed !== undefined) {
      throw new Error(`${argv.join(' ')} exited ${failed.status}: ${failed.stderr?.trim().split('\n').pop() ?? ''}`);
    }
    const walls = mine.map((run) => run.wallMs);
    return {
      wallMs: median(walls),
      wallP90Ms: percentile(walls, 0.9),
      cpuMs: median(mine.map((run) => run.cpuMs)),
      maxRssMiB: median(mine.map((run) => run.maxRssKiB)) / 1024,
      runs: mine.length,
    };
  });
}
