// The walk: every check's verdict, in order, each a pure function of the gathered facts and of the
// verdicts before it (a check whose prerequisite failed says so instead of failing again).

import type { Facts } from './facts.ts';
import { CHECK_IDS, type CheckResult } from './report.ts';

export type Verdict = (facts: Facts, earlier: readonly CheckResult[]) => CheckResult;

/** Judge the facts with `verdicts`, which must follow CHECK_IDS (report.ts), one each. */
export function walk(facts: Facts, verdicts: readonly Verdict[]): CheckResult[] {
  const results: CheckResult[] = [];
  for (const verdict of verdicts) {
    const result = verdict(facts, results);
    if (result.id !== CHECK_IDS[results.length]) throw new Error(`doctor: ${result.id} judged out of order`);
    results.push(result);
  }
  if (results.length !== CHECK_IDS.length) throw new Error(`doctor: ${CHECK_IDS.length - results.length} checks not judged`);
  return results;
}
