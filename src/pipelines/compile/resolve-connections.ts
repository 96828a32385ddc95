import type { ConnectionSummary } from "../ports.js";
import type { CompiledJob, CompiledPipeline, CompiledStage } from "./compiler.js";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AUTHZ = "For authorization details, refer to https://aka.ms/yamlauthz.";

/** A connection a job uses: which step and input named it, and how. */
export interface ConnectionUse {
  stage: string;
  job: string;
  stepIndex: number;
  input: string;
  connection: ConnectionSummary;
}

export interface ResolutionResult {
  /** One sentence per failing step input, in Azure Pipelines' words (§5.1). */
  errors: string[];
  uses: ConnectionUse[];
  /** Connections whose only fault is that the pipeline may not use them (their sentences are in `errors` too). */
  unauthorized: ConnectionSummary[];
  /** True when every error is a missing pipeline permission: permitting the pipeline would let the run go on. */
  onlyUnauthorized: boolean;
}

export interface ResolutionContext {
  connections: ConnectionSummary[];
  isAuthorized: (connectionId: string) => Promise<boolean>;
  queueVariables: Record<string, string>;
}

/** `$(name)` with the variables known when the pipeline compiles; anything else (`$[ ]`, output variables) stays. */
export function compileTimeMacros(value: string, variables: Record<string, string>): string {
  return value.replace(/\$\(([\w.\- ]+)\)/g, (whole, name: string) => {
    const key = Object.keys(variables).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key === undefined) return whole;
    const v = variables[key]!;
    return v.trim().startsWith("$[") ? whole : v;
  });
}

function compileTimeVariables(pipeline: CompiledPipeline, stage: CompiledStage, job: CompiledJob, queue: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of [...pipeline.variables, ...stage.variables, ...job.variables]) out[v.name] = v.value;
  for (const [k, v] of Object.entries(queue)) if (!Object.keys(out).some((x) => x.toLowerCase() === k.toLowerCase())) out[k] = v;
  return out;
}

/**
 * Resolves every `connectedService:*` input of every step to a connection id, checking in the server's order:
 * the name (ambiguous), existence and state (disabled, not ready), the type the task expects, and the pipeline
 * permission. Each failure becomes the exact sentence Azure Pipelines prints; the run then fails before any job.
 */
export async function resolveConnections(pipeline: CompiledPipeline, context: ResolutionContext): Promise<ResolutionResult> {
  const errors: string[] = [];
  const uses: ConnectionUse[] = [];
  const unauthorized = new Map<string, ConnectionSummary>();
  let permissionErrors = 0;
  const authorized = new Map<string, Promise<boolean>>();
  for (const stage of pipeline.stages) {
    for (const job of stage.jobs) {
      const variables = compileTimeVariables(pipeline, stage, job, context.queueVariables);
      for (const [stepIndex, step] of job.steps.entries()) {
        if (!step.task) continue;
        for (const input of step.task.inputs) {
          if (!input.type.toLowerCase().startsWith("connectedservice:")) continue;
          const written = step.inputs[input.name];
          if (written === undefined || written === "") continue;
          const key = step.inputKeys[input.name] ?? input.name;
          const stepLabel = `Step ${step.name ? `${step.name} ` : ""}input ${key}`;
          const value = compileTimeMacros(written, variables).trim();
          const matches = context.connections.filter((c) => c.name.toLowerCase() === value.toLowerCase() || (GUID.test(value) && c.id === value.toLowerCase()));
          if (matches.length > 1) {
            errors.push(`The service connection name ${value} is ambiguous.`);
            continue;
          }
          const connection = matches[0];
          const notFound = `Job ${job.name}: ${stepLabel} references service connection ${value} which could not be found. The service connection does not exist, has been disabled or has not been authorized for use. ${AUTHZ}`;
          if (!connection || connection.isDisabled || !connection.isReady) {
            errors.push(notFound);
            continue;
          }
          const [, expectedType = "", schemes] = input.type.split(":");
          if (connection.type.toLowerCase() !== expectedType.toLowerCase()) {
            errors.push(`Job ${job.name}: ${stepLabel} expects a service connection of type ${expectedType} but the provided service connection ${connection.name} is of type ${connection.type}.`);
            continue;
          }
          if (schemes && !schemes.split(",").some((s) => s.toLowerCase() === connection.scheme.toLowerCase())) {
            errors.push(`Job ${job.name}: ${stepLabel} expects a service connection of type ${expectedType} with authentication scheme ${schemes} but the provided service connection ${connection.name} is of type ${connection.type} using authentication scheme ${connection.scheme}.`);
            continue;
          }
          if (!authorized.has(connection.id)) authorized.set(connection.id, context.isAuthorized(connection.id));
          if (!(await authorized.get(connection.id))) {
            errors.push(notFound);
            unauthorized.set(connection.id, connection);
            permissionErrors++;
            continue;
          }
          uses.push({ stage: stage.name, job: job.name, stepIndex, input: input.name, connection });
        }
      }
    }
  }
  return { errors, uses, unauthorized: [...unauthorized.values()], onlyUnauthorized: errors.length > 0 && errors.length === permissionErrors };
}

/** The run's validation message: `The pipeline is not valid. ` and every sentence. */
export const pipelineNotValid = (errors: string[]) => `The pipeline is not valid. ${errors.join(" ")}`;
