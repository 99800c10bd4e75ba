// The doctor's check model: the stable check ids in the order the walk takes them, what one check
// concludes (status, a few words of evidence, and for a failure or warning its cause and fix), and
// the report they add up to: the first failure, and the exit code of its class (README "Exit codes").

import { EXIT, type ExitCode } from '../errors.ts';

/** The checks, in the order of the walk from the pod to the API server (issue 9's table). */
export const CHECK_IDS = [
  'environment',
  'mount',
  'token',
  'ca',
  'dns',
  'proxy-env',
  'tcp',
  'tls',
  'version',
  'authn',
  'authz',
  'exposure',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** What one check concluded. */
export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  /** The evidence in a few words: one line. */
  summary: string;
  /** Why it failed or warns, in a sentence (the failure catalogue's cause). */
  cause?: string;
  /** The facts behind the verdict, one per line (never a credential). */
  evidence?: string[];
  /** The one thing to do about it. */
  fix?: string;
  /** authz: the Role and RoleBinding (or ClusterRole and ClusterRoleBinding) that would allow what was denied. */
  yaml?: string;
  /** A failure's class: the exit code doctor ends with when this is the first failure. */
  exitCode?: ExitCode;
}

export const REPORT_API_VERSION = 'kube-in-pod/v1';
export const REPORT_KIND = 'DoctorReport';

/** The JSON document of `doctor.ts -o json`; test/schemas/doctor-report.schema.json describes it. */
export interface DoctorReport {
  apiVersion: typeof REPORT_API_VERSION;
  kind: typeof REPORT_KIND;
  checks: ReportedCheck[];
  firstFailure: CheckId | null;
}

export type ReportedCheck = Omit<CheckResult, 'exitCode'>;

/** The results in walk order, whatever order they were computed in; every id exactly once. */
export function orderChecks(results: readonly CheckResult[]): CheckResult[] {
  return CHECK_IDS.map((id) => {
    const found = results.filter((result) => result.id === id);
    if (found.length !== 1) throw new Error(`doctor: check ${id} reported ${found.length} times`);
    return found[0] as CheckResult;
  });
}

export function firstFailure(results: readonly CheckResult[]): CheckResult | undefined {
  return results.find((result) => result.status === 'fail');
}

/** 0 when nothing failed (warnings allowed), else the first failure's class. */
export function exitCodeOf(results: readonly CheckResult[]): ExitCode {
  const failure = firstFailure(results);
  if (failure === undefined) return EXIT.OK;
  return failure.exitCode ?? EXIT.INTERNAL;
}

export function buildReport(results: readonly CheckResult[]): DoctorReport {
  const ordered = orderChecks(results);
  return {
    apiVersion: REPORT_API_VERSION,
    kind: REPORT_KIND,
    checks: ordered.map(({ exitCode: _exitCode, ...reported }) => reported),
    firstFailure: firstFailure(ordered)?.id ?? null,
  };
}

// Small constructors, so every verdict reads as status + words.

export function pass(id: CheckId, summary: string, evidence?: string[]): CheckResult {
  return { id, status: 'pass', summary, ...(evidence !== undefined && evidence.length > 0 && { evidence }) };
}

export function skip(id: CheckId, summary: string): CheckResult {
  return { id, status: 'skip', summary };
}

export interface Finding {
  summary: string;
  cause: string;
  evidence?: string[];
  fix: string;
}

export function warn(id: CheckId, finding: Finding): CheckResult {
  return { id, status: 'warn', ...withoutEmptyEvidence(finding) };
}

export function fail(id: CheckId, exitCode: ExitCode, finding: Finding): CheckResult {
  return { id, status: 'fail', ...withoutEmptyEvidence(finding), exitCode };
}

function withoutEmptyEvidence(finding: Finding): Finding {
  const { evidence, ...rest } = finding;
  return evidence !== undefined && evidence.length > 0 ? { ...rest, evidence } : rest;
}
