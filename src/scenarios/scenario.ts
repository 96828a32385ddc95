import { type Explanation, explain } from "../doctor/explain.js";
import { explainRun, type RunFailure } from "../doctor/run-failure.js";
import { ScenarioError, type ScenarioWorld } from "./scenario-world.js";

/** One thing a person does in a scenario; `run` returns what they see (one line), or throws when it goes wrong. */
export interface Step {
  says: string;
  run: () => Promise<string>;
}

/** What the failing action showed: the error text, or the failed run (read as `explain --run` reads it). */
export interface Failure {
  message: string;
  run?: RunFailure;
}

/** A situation of the troubleshooting guide, played with the clients a user would use. */
export interface Scenario {
  /** The guide's id (SPEC S1…S19). */
  id: string;
  title: string;
  /** Its world file in `scenarios/`. */
  world: string;
  /** The diagnosis `explain` should give for the failure. */
  diagnosis: string;
  /** The steps, made fresh for each run (they share what they make through the closure). */
  steps(world: ScenarioWorld, workFolder: string): ScenarioSteps;
}

export interface ScenarioSteps {
  /** What leads up to the failure. */
  given: Step[];
  /** The action that fails: it returns what failed, and throws if it did not fail. */
  fails: { says: string; run: () => Promise<Failure> };
  /** The guide's (or the doctor's) fix. */
  fix: Step[];
  /** The original action again, now succeeding (throws if it does not). */
  succeeds: Step;
}

export type Phase = "given" | "fails" | "explain" | "fix" | "succeeds";

export interface StepRecord {
  phase: Phase;
  says: string;
  /** What was seen: the result line, the failure's message, the diagnosis. */
  saw: string;
  ok: boolean;
}

export interface ScenarioResult {
  id: string;
  title: string;
  world: string;
  steps: StepRecord[];
  failure: string | null;
  explanation: Pick<Explanation, "id" | "title" | "rootCauseClass" | "confidence" | "fix"> | null;
  /** `explain` named the diagnosis the guide gives. */
  explained: boolean;
  /** The failure reproduced, the fix applied and the action then succeeded. */
  passed: boolean;
}

/**
 * Plays a scenario on a running svcconn loaded with its world: the lead-up, the failure, `explain` on what it
 * showed, the fix, and the original action succeeding. Each step is reported as it ends.
 */
export async function runScenario(scenario: Scenario, world: ScenarioWorld, workFolder: string, report: (step: StepRecord) => void = () => {}): Promise<ScenarioResult> {
  const steps: StepRecord[] = [];
  const result: ScenarioResult = { id: scenario.id, title: scenario.title, world: scenario.world, steps, failure: null, explanation: null, explained: false, passed: false };
  const record = (phase: Phase, says: string, saw: string, ok: boolean) => {
    const step = { phase, says, saw, ok };
    steps.push(step);
    report(step);
    return ok;
  };
  const play = async (phase: Phase, step: Step) => {
    try {
      return record(phase, step.says, await step.run(), true);
    } catch (error) {
      return record(phase, step.says, messageOf(error), false);
    }
  };

  const plan = scenario.steps(world, workFolder);
  for (const step of plan.given) if (!(await play("given", step))) return result;
  let failure: Failure;
  try {
    failure = await plan.fails.run();
    if (!failure.message.trim()) throw new ScenarioError("the action showed no error");
  } catch (error) {
    record("fails", plan.fails.says, `it did not fail as the guide says: ${messageOf(error)}`, false);
    return result;
  }
  result.failure = failure.message;
  record("fails", plan.fails.says, failure.message, true);

  const explanation = failure.run ? explainRun(failure.run) : explain(failure.message);
  result.explanation = { id: explanation.id, title: explanation.title, rootCauseClass: explanation.rootCauseClass, confidence: explanation.confidence, fix: explanation.fix };
  result.explained = explanation.id === scenario.diagnosis;
  const named = `${explanation.id} (${Math.round(explanation.confidence * 100)} %): ${explanation.title}`;
  const saw = result.explained ? `${named}\nfix: ${explanation.fix[0] ?? ""}` : `${named} — the guide's cause is ${scenario.diagnosis}`;
  record("explain", "svcconn explain", saw, result.explained);

  for (const step of plan.fix) if (!(await play("fix", step))) return result;
  result.passed = (await play("succeeds", plan.succeeds)) && result.explained;
  return result;
}

function messageOf(error: unknown): string {
  const e = error as { message?: string; statusCode?: number };
  return e?.message ? (e.statusCode ? `${e.statusCode}: ${e.message}` : e.message) : String(error);
}
