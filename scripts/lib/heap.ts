// Flat memory for a process that reads a long list page by page and keeps one page at a time.
//
// V8 sizes its heap for a program that keeps what it allocates: while allocation is fast, it doubles
// the young generation's semi-spaces up to 16 MiB each and lets the old generation grow well past
// what is alive before a full collection. A reader of 100,000 ConfigMaps in pages of 500 allocates
// fast and keeps almost nothing, so all that growth is unused RSS. Measured in the sandbox on
// `node dist/get.mjs configmaps -A -o name|json` (npm run bench, P2): peak RSS 58|63 MiB for 1,000
// objects; for 100,000, 116|116 MiB with V8's defaults, 74|76 MiB with these two flags, and less
// wall time (1.9 s against 2.9 s for -o name: less memory to touch). --optimize-for-size saved
// 3 MiB more but doubled the time of -o json. Both flags are read when V8 collects, so setting
// them after start works (node --v8-options lists them).

import { setFlagsFromString } from 'node:v8';

/** Keep the young generation at its initial size and grow the old one by 20% of what is alive (idempotent). */
export function keepHeapSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=20');
}
