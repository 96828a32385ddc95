import { createHash } from "node:crypto";
import type { Clock } from "../core/clock.js";
import { newGuid } from "../core/ids.js";
import type { Store } from "../store/index.js";
import type { ArmCaller } from "./authorize.js";
import { type DeploymentPlan, type DeploymentScope, DeploymentRequestError, planDeployment, readDeploymentRequest, resourceIdOf, type TemplateResource } from "./deployment-plan.js";
import { ArmError, armErrors } from "./errors.js";
import { resourceBody, resourceGroupCommand, roleAssignmentCommand } from "./input.js";
import type { Deployment } from "./model.js";
import { formatScope, parseScope } from "./scopes.js";
import type { ArmService } from "./service.js";
import { evaluateDeep, TemplateError } from "./template-expressions.js";

export type { DeploymentScope } from "./deployment-plan.js";

/** What running a plan did: one operation per resource, the outputs, and the failures (ARM's `details`). */
interface Execution {
  operations: Array<Record<string, unknown>>;
  outputResources: Array<{ id: string }>;
  outputs: Record<string, unknown>;
  failures: Array<{ code: string; message: string }>;
}

/**
 * Deployments with an inline template: `planDeployment` (pure: validate, resolve, order), `execute` (each
 * resource written through the ARM service with the caller's own rights, exactly like a direct call, so a missing
 * role fails that resource and what depends on it with ARM's AuthorizationFailed), and `deploymentView` (the
 * stored ARM shape).
 */
export class DeploymentEngine {
  constructor(
    private readonly arm: ArmService,
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async put(caller: ArmCaller, scope: DeploymentScope, name: string, body: Record<string, unknown>): Promise<{ created: boolean; deployment: Deployment }> {
    const scopeText = formatScope(scope);
    await this.arm.authorize(caller, "Microsoft.Resources/deployments/write", scopeText);
    const started = this.clock.nowMs();
    const plan = await this.plan(caller, scope, name, body);
    const existing = await this.store.resources.deployment(scopeText, name);
    const execution = await this.execute(caller, plan);
    const deployment = deploymentView(plan, execution, started, this.clock.nowMs());
    await this.store.resources.putDeployment(deployment);
    return { created: !existing, deployment };
  }

  /**
   * `POST …/deployments/{name}/validate`: the request, template and parameters checked as a deployment would
   * check them, and nothing written. Answers the deployment as it would be, `provisioningState: Succeeded`.
   */
  async validate(caller: ArmCaller, scope: DeploymentScope, name: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const scopeText = formatScope(scope);
    await this.arm.authorize(caller, "Microsoft.Resources/deployments/validate/action", scopeText);
    const plan = await this.plan(caller, scope, name, body);
    const now = this.clock.nowMs();
    const view = deploymentView(plan, { operations: [], outputResources: [], outputs: {}, failures: [] }, now, now).body;
    const { outputs: _o, outputResources: _r, duration: _d, ...properties } = view.properties as Record<string, unknown>;
    return { ...view, properties: { ...properties, validatedResources: plan.order.map((r) => ({ id: resourceIdOf(r, plan.scope) })) } };
  }

  private async plan(caller: ArmCaller, scope: DeploymentScope, name: string, body: Record<string, unknown>): Promise<DeploymentPlan> {
    try {
      // The request's own checks come before the subscription's and the resource group's, as in ARM.
      const request = readDeploymentRequest(scope, name, body);
      const subscription = scope.level === "managementGroup" ? undefined : await this.arm.subscriptionFor(caller, scope.subscriptionId);
      const group = scope.level === "resourceGroup" ? await this.store.hierarchy.resourceGroup(scope.subscriptionId, scope.resourceGroup) : undefined;
      if (scope.level === "resourceGroup" && !group) throw armErrors.resourceGroupNotFound(scope.resourceGroup);
      return planDeployment(request, { tenantId: caller.tenantId, subscription, group });
    } catch (error) {
      if (error instanceof DeploymentRequestError) throw new ArmError(error.status, error.code, error.message);
      if (error instanceof TemplateError) throw armErrors.invalidTemplate(error.message);
      throw error;
    }
  }

  /** Writes each resource in order; a resource whose dependency failed is not attempted. Then the outputs. */
  private async execute(caller: ArmCaller, plan: DeploymentPlan): Promise<Execution> {
    const deploymentId = `${formatScope(plan.scope)}/providers/Microsoft.Resources/deployments/${plan.name}`;
    const operations: Array<Record<string, unknown>> = [];
    const failed = new Set<string>();
    const outputResources: Array<{ id: string }> = [];
    for (const resource of plan.order) {
      const id = resourceIdOf(resource, plan.scope);
      const operationId = createHash("sha1").update(id).digest("hex").slice(0, 16).toUpperCase();
      const props: Record<string, unknown> = { provisioningOperation: "Create", timestamp: this.clock.now().toISOString(), targetResource: { id, resourceType: resource.type, resourceName: resource.name } };
      operations.push({ id: `${deploymentId}/operations/${operationId}`, operationId, properties: props });
      const blocked = resource.dependsOn.find((d) => failed.has(d));
      if (blocked) {
        failed.add(resource.key);
        Object.assign(props, { provisioningState: "Failed", statusCode: "Conflict", statusMessage: { error: { code: "DependencyFailed", message: `The resource depends on '${blocked}', which failed.` } } });
        continue;
      }
      try {
        const evaluated = evaluateDeep(resource.raw, plan.context) as Record<string, unknown>;
        plan.written.set(id.toLowerCase(), await this.write(caller, plan, resource, id, evaluated));
        outputResources.push({ id });
        Object.assign(props, { provisioningState: "Succeeded", statusCode: "OK" });
      } catch (error) {
        failed.add(resource.key);
        const armError = error instanceof ArmError ? error : error instanceof TemplateError ? armErrors.invalidTemplate(error.message) : armErrors.invalidRequestContent(String(error));
        Object.assign(props, { provisioningState: "Failed", statusCode: httpStatusName(armError.status), statusMessage: { status: "Failed", error: { code: armError.code, message: armError.message } } });
      }
    }
    const failures = operations
      .map((o) => o.properties as { provisioningState: string; statusMessage?: { error: { code: string; message: string } } })
      .filter((p) => p.provisioningState === "Failed")
      .map((p) => p.statusMessage!.error);
    let outputs: Record<string, unknown> = {};
    if (failures.length === 0) {
      try {
        for (const [key, def] of Object.entries((plan.template.outputs ?? {}) as Record<string, { type?: string; value?: unknown }>)) {
          outputs[key] = { type: def.type ?? "String", value: evaluateDeep(def.value, plan.context) };
        }
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        failures.push({ code: "DeploymentOutputEvaluationFailed", message: `Unable to evaluate template outputs: ${error.message}` });
        outputs = {};
      }
    }
    return { operations, outputResources, outputs, failures };
  }

  async get(caller: ArmCaller, scope: DeploymentScope, name: string): Promise<Deployment> {
    const scopeText = formatScope(scope);
    await this.arm.authorize(caller, "Microsoft.Resources/deployments/read", scopeText);
    const deployment = await this.store.resources.deployment(scopeText, name);
    if (!deployment) throw armErrors.deploymentNotFound(name);
    return deployment;
  }

  async list(caller: ArmCaller, scope: DeploymentScope): Promise<Deployment[]> {
    const scopeText = formatScope(scope);
    await this.arm.authorize(caller, "Microsoft.Resources/deployments/read", scopeText);
    return this.store.resources.deployments(scopeText);
  }

  async delete(caller: ArmCaller, scope: DeploymentScope, name: string): Promise<boolean> {
    const scopeText = formatScope(scope);
    await this.arm.authorize(caller, "Microsoft.Resources/deployments/delete", scopeText);
    return this.store.resources.deleteDeployment(scopeText, name);
  }

  /** One resource, through the ARM service with the caller's rights; what `reference()` then returns for it. */
  private async write(caller: ArmCaller, plan: DeploymentPlan, resource: TemplateResource, id: string, evaluated: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { scope } = plan;
    const type = resource.type.toLowerCase();
    if (type === "microsoft.resources/resourcegroups" && scope.level === "subscription") {
      const { group } = await this.arm.putResourceGroup(caller, scope.subscriptionId, resource.name, resourceGroupCommand(evaluated));
      return { id, name: group.name, location: group.location, tags: group.tags, properties: { provisioningState: "Succeeded" } };
    }
    if (type === "microsoft.authorization/roleassignments") {
      const target = typeof evaluated.scope === "string" ? evaluated.scope : formatScope(scope);
      const { assignment } = await this.arm.putRoleAssignment(caller, target, resource.name, roleAssignmentCommand(evaluated));
      return { id: `${assignment.scope}/providers/Microsoft.Authorization/roleAssignments/${assignment.name}`, properties: { ...assignment } };
    }
    const parsed = parseScope(id);
    if (parsed?.level !== "resource") throw new TemplateError(`The resource id '${id}' is not valid.`);
    const { apiVersion: _v, dependsOn: _d, condition: _c, comments: _m, ...body } = evaluated;
    const { resource: stored } = await this.arm.putResource(caller, parsed, resourceBody(body));
    return { id: stored.id, name: stored.name, type: stored.type, ...stored.body, properties: { ...(stored.body.properties ?? {}), provisioningState: "Succeeded" } };
  }
}

/** The deployment as ARM stores and returns it. */
function deploymentView(plan: DeploymentPlan, execution: Execution, started: number, finished: number): Deployment {
  const scopeText = formatScope(plan.scope);
  const { failures } = execution;
  const keyed = (key: string) => plan.resources.find((x) => x.key === key);
  return {
    scope: scopeText,
    name: plan.name,
    createdAt: new Date(finished).toISOString(),
    operations: execution.operations,
    body: {
      id: `${scopeText}/providers/Microsoft.Resources/deployments/${plan.name}`,
      name: plan.name,
      type: "Microsoft.Resources/deployments",
      ...(plan.location !== undefined ? { location: plan.location } : {}),
      properties: {
        templateHash: String(BigInt(`0x${createHash("sha256").update(JSON.stringify(plan.template)).digest("hex").slice(0, 15)}`)),
        parameters: Object.fromEntries([...plan.parameters.entries()].map(([k, v]) => [k, { type: plan.parameterTypes[k] ?? "String", value: v }])),
        mode: plan.mode,
        provisioningState: failures.length ? "Failed" : "Succeeded",
        timestamp: new Date(finished).toISOString(),
        duration: `PT${((finished - started) / 1000).toFixed(3)}S`,
        correlationId: newGuid(),
        providers: providersOf(plan.order),
        dependencies: plan.order
          .filter((r) => r.dependsOn.length)
          .map((r) => ({ dependsOn: r.dependsOn.map((d) => ({ resourceType: keyed(d)?.type, resourceName: keyed(d)?.name })), resourceType: r.type, resourceName: r.name })),
        outputs: execution.outputs,
        outputResources: execution.outputResources,
        ...(failures.length
          ? {
              error: {
                code: "DeploymentFailed",
                message: "At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.",
                details: failures,
              },
            }
          : {}),
      },
    },
  };
}

function providersOf(resources: TemplateResource[]): Array<Record<string, unknown>> {
  const byNamespace = new Map<string, Set<string>>();
  for (const r of resources) {
    const [ns, ...rest] = r.type.split("/");
    if (!byNamespace.has(ns!)) byNamespace.set(ns!, new Set());
    byNamespace.get(ns!)!.add(rest.join("/"));
  }
  return [...byNamespace.entries()].map(([namespace, types]) => ({ namespace, resourceTypes: [...types].map((resourceType) => ({ resourceType, locations: [] })) }));
}

function httpStatusName(status: number): string {
  return { 400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict" }[status] ?? "InternalServerError";
}

