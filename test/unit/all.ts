// Every test/unit/*.test.ts in this one process, each file a suite named after it:
//     node --import tsx --test-reporter=tap test/unit/all.ts       (what test/run-all.sh runs)
// `node --test` gives each file a process of its own, and each pays tsx's loader start-up again:
// about 0.45 CPU-seconds, 15 of the 35 CPU-seconds the unit tests took that way on a 2-core machine,
// where this takes about 8. A file can still run alone: node --import tsx --test test/unit/FILE.test.ts
import { readdirSync } from 'node:fs';
import { describe } from 'node:test';

const directory = import.meta.dirname;
for (const file of readdirSync(directory)
  .filter((name) => name.endsWith('.test.ts'))
  .sort()) {
  describe(`test/unit/${file}`, async () => {
    await import(`${directory}/${file}`);
  });
}
