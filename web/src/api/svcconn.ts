import { config } from "../config";
import type { Explanation } from "../model";
import { orgApi, svcconnApi } from "./client";

/** svcconn's own routes: explain, the doctor's scan and fix, the emulator's clock. */

export interface Finding {
  id: string;
  kind: string;
  severity: string;
  title: string;
  connection: { id: string; name: string } | null;
  application: { appId: string; displayName?: string } | null;
  fix: string;
}

export interface ScanReport {
  connections: Array<{ id: string; name: string; findings: Finding[] }>;
  other: Finding[];
  partial: boolean;
  notEvaluated: Array<{ connection: string; check: string; reason: string }>;
}

export interface FixAnswer {
  plans: Array<{ findingId: string; summary: string; steps: Array<{ call: string; before: unknown; after: unknown }> }>;
  unfixable: Array<{ findingId: string; reason: string }>;
  outcomes?: Array<{ findingId: string; status: string; message?: string; rollback?: string }>;
}

export interface EmulatorStatus {
  now: string;
  offsetSeconds: number;
  members: Array<{ id: string; displayName: string; uniqueName: string; signedIn: boolean; lastUsedAt: string | null }>;
}

/** The person's own Graph and ARM tokens: the doctor reads the directory and Azure as them. */
type Tokens = { graph?: string; arm?: string };
const here = () => ({ organization: config.organization, project: config.project });

export const doctor = {
  /** What the doctor reads in a text; the task that printed it or the connection's scheme, when known, weigh in. */
  explain: (text: string, context: { task?: string; scheme?: string } = {}, signal?: AbortSignal) => svcconnApi.send<Explanation>("explain", { text, ...(context.task ? { task: context.task } : {}), ...(context.scheme ? { scheme: context.scheme } : {}) }, signal),
  scan: (tokens: Tokens) => svcconnApi.send<ScanReport>("doctor/scan", { ...here(), tokens }),
  fix: (findingId: string, apply: boolean, tokens: Tokens) => svcconnApi.send<FixAnswer>("doctor/fix", { ...here(), findings: [findingId], apply, tokens }),
};

export const emulator = {
  status: (signal?: AbortSignal) => orgApi.get<EmulatorStatus>("svcconn/emulator", undefined, undefined, signal),
  /** Whether the signed-in person administers the organization (and so may open the panel). */
  access: () => orgApi.get<{ administrator: boolean }>("svcconn/emulator/access"),
  advance: (seconds: number) => orgApi.send<EmulatorStatus>("POST", "svcconn/emulator/clock", { advanceSeconds: seconds }),
};
