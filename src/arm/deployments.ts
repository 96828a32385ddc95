import { createHash } from "node:crypto";
import type { Clock } from "../core/clock.js";
import { newGuid } from "../core/ids.js";
import type { Store } from "../store/index.js";
import type { ArmCaller } from "./authorize.js";
import { ArmError, armErrors } from "./errors.js";
import type { Deployment } from "./model.js";
import { resourceBody, resourceGroupCommand, roleAssignmentCommand } from "./input.js";
import { formatScope, parseScope, type Scope } from "./scopes.js";
import type { ArmService } from "./service.js";
import { evaluateDeep, TemplateError, type ExpressionContext } from "./template-expressions.js";

type DeploymentScope = Extract<Scope, { level: "resourceGroup" | "subscription" | "managementGroup" }>;

interface TemplateResource {
  key: string;
  type: string;
  name: string;
  apiVersion?: string;
  raw: Record<string, unknown>;
  dependsOn: string[];
}

/**
 * Deployments with an inline template: parameters, variables, resources in dependency order, outputs. Each
 * resource is written through the ARM service with the caller's own rights, exactly like a direct call, so a
 * missing role fails that resource (and what depends on it) with ARM's AuthorizationFailed.
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
    if (!/^[-\w.()]{1,64}$/.test(name)) throw new ArmError(400, "InvalidDeploymentName", `The deployment name '${name}' is invalid. It can only contain letters, digits, '-', '.', '_', '(' and ')', up to 64 characters.`);
    const properties = body.properties as Record<string, unknown> | undefined;
    if (!properties || typeof properties !== "object") throw armErrors.invalidRequestContent("properties is required");
    if (properties.templateLink) throw armErrors.invalidTemplate("templateLink is not supported by svcconn; send the template inline in properties.template");
    const template = properties.template as Record<string, unknown> | undefined;
    if (!template || typeof template !== "object" || Array.isArray(template)) throw armErrors.invalidTemplate("The template is missing or is not a JSON object");
    if (scope.level !== "resourceGroup" && typeof body.location !== "string") {
      throw new ArmError(400, "InvalidDeploymentLocation", "The 'location' property must be specified for a deployment at subscription or management group scope.");
    }
    const started = this.clock.nowMs();
    const subscription = scope.level === "managementGroup" ? undefined : await this.arm.subscriptionFor(caller, scope.subscriptionId);
    const group = scope.level === "resourceGroup" ? await this.store.hierarchy.resourceGroup(scope.subscriptionId, scope.resourceGroup) : undefined;
    if (scope.level === "resourceGroup" && !group) throw armErrors.resourceGroupNotFound(scope.resourceGroup);
    const existing = await this.store.resources.deployment(scopeText, name);
    const deploymentId = `${scopeText}/providers/Microsoft.Resources/deployments/${name}`;

    // Validation: everything that can be known before any resource is written.
    const supplied = (properties.parameters ?? {}) as Record<string, unknown>;
    const parameterDefs = (template.parameters ?? {}) as Record<string, Record<string, unknown>>;
    const variableDefs = (template.variables ?? {}) as Record<string, unknown>;
    const resourceValues: Map<string, Record<string, unknown>> = new Map();
    const parameters = new Map<string, unknown>();
    const variables = new Map<string, unknown>();
    const evaluating = new Set<string>();

    const context: ExpressionContext = {
      parameter: (p) => {
        const key = Object.keys(parameterDefs).find((k) => k.toLowerCase() === p.toLowerCase());
        if (!key) throw new TemplateError(`The template parameter '${p}' is not found.`);
        return parameters.get(key);
      },
      variable: (v) => {
        const key = Object.keys(variableDefs).find((k) => k.toLowerCase() === v.toLowerCase());
        if (!key) throw new TemplateError(`The template variable '${v}' is not found.`);
        if (!variables.has(key)) {
          if (evaluating.has(key)) throw new TemplateError(`The template variable '${key}' refers to itself.`);
          evaluating.add(key);
          variables.set(key, evaluateDeep(variableDefs[key], context));
          evaluating.delete(key);
        }
        return variables.get(key);
      },
      resourceGroup: () => {
        if (!group) throw new TemplateError("The template function 'resourceGroup' is not expected at this location.");
        return {
          id: `/subscriptions/${group.subscriptionId}/resourceGroups/${group.name}`,
          name: group.name,
          type: "Microsoft.Resources/resourceGroups",
          location: group.location,
          tags: group.tags,
          properties: { provisioningState: "Succeeded" },
        };
      },
      subscription: () => {
        if (!subscription) throw new TemplateError("The template function 'subscription' is not expected at this location.");
        return { id: `/subscriptions/${subscription.id}`, subscriptionId: subscription.id, tenantId: subscription.tenantId, displayName: subscription.displayName };
      },
      tenant: () => ({ tenantId: caller.tenantId, countryCode: "US", displayName: "", id: `/tenants/${caller.tenantId}` }),
      deployment: () => ({ name, properties: { templateLink: null } }),
      resourceId: (sub, rg, type, names) => {
        const s = sub ?? subscription?.id;
        const r = rg ?? group?.name;
        if (!s || !r) throw new TemplateError("The template function 'resourceId' needs a resource group at this scope.");
        return `/subscriptions/${s}/resourceGroups/${r}/providers/${interleave(type, names)}`;
      },
      subscriptionResourceId: (sub, type, names) => {
        const s = sub ?? subscription?.id;
        if (!s) throw new TemplateError("The template function 'subscriptionResourceId' needs a subscription at this scope.");
        return `/subscriptions/${s}/providers/${interleave(type, names)}`;
      },
      // Only resources of this deployment can be referenced (evaluation is synchronous; svcconn documents this).
      reference: (target, full) => {
        const lower = target.toLowerCase();
        const value = resourceValues.get(lower) ?? [...resourceValues.entries()].find(([k]) => k.endsWith(`/${lower}`))?.[1];
        if (!value) throw new TemplateError(`The Resource '${target}' is not defined in the template.`);
        return full ? value : value.properties ?? {};
      },
    };

    let resources: TemplateResource[];
    let order: TemplateResource[];
    try {
      for (const [key, def] of Object.entries(parameterDefs)) {
        const given = Object.entries(supplied).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1] as { value?: unknown } | undefined;
        let value = given && typeof given === "object" && "value" in given ? given.value : undefined;
        if (value === undefined && def && "defaultValue" in def) value = evaluateDeep(def.defaultValue, context);
        if (value === undefined) {
          throw new TemplateError(`The value for the template parameter '${key}' is not provided. Please see https://aka.ms/arm-create-parameter-file for usage details.`);
        }
        if (Array.isArray(def?.allowedValues) && !def.allowedValues.some((a) => JSON.stringify(a) === JSON.stringify(value))) {
          throw new TemplateError(`The provided value '${String(value)}' for the template parameter '${key}' is not valid. The value must be one of ${JSON.stringify(def.allowedValues)}.`);
        }
        parameters.set(key, value);
      }
      for (const key of Object.keys(supplied)) {
        if (!Object.keys(parameterDefs).some((k) => k.toLowerCase() === key.toLowerCase())) {
          throw new TemplateError(`The following parameters were supplied, but do not correspond to any parameters defined in the template: '${key}'.`);
        }
      }
      resources = this.flatten(Array.isArray(template.resources) ? (template.resources as Array<Record<string, unknown>>) : [], context);
      order = orderByDependencies(resources);
    } catch (error) {
      if (error instanceof TemplateError) throw armErrors.invalidTemplate(error.message);
      throw error;
    }

    // Execution: each resource in dependency order, with the caller's rights.
    const operations: Array<Record<string, unknown>> = [];
    const failed = new Set<string>();
    const outputResources: Array<{ id: string }> = [];
    for (const resource of order) {
      const id = this.resourceIdOf(resource, scope);
      const blocked = resource.dependsOn.find((d) => failed.has(d));
      const operation: Record<string, unknown> = {
        id: `${deploymentId}/operations/${createHash("sha1").update(id).digest("hex").slice(0, 16).toUpperCase()}`,
        operationId: createHash("sha1").update(id).digest("hex").slice(0, 16).toUpperCase(),
        properties: { provisioningOperation: "Create", timestamp: this.clock.now().toISOString(), targetResource: { id, resourceType: resource.type, resourceName: resource.name } },
      };
      const props = operation.properties as Record<string, unknown>;
      if (blocked) {
        failed.add(resource.key);
        Object.assign(props, { provisioningState: "Failed", statusCode: "Conflict", statusMessage: { error: { code: "DependencyFailed", message: `The resource depends on '${blocked}', which failed.` } } });
        operations.push(operation);
        continue;
      }
      try {
        const evaluated = evaluateDeep(resource.raw, context) as Record<string, unknown>;
        const value = await this.write(caller, scope, resource, id, evaluated);
        resourceValues.set(id.toLowerCase(), value);
        outputResources.push({ id });
        Object.assign(props, { provisioningState: "Succeeded", statusCode: "OK" });
      } catch (error) {
        failed.add(resource.key);
        const armError = error instanceof ArmError ? error : error instanceof TemplateError ? armErrors.invalidTemplate(error.message) : armErrors.invalidRequestContent(String(error));
        Object.assign(props, {
          provisioningState: "Failed",
          statusCode: httpStatusName(armError.status),
          statusMessage: { status: "Failed", error: { code: armError.code, message: armError.message } },
        });
      }
      operations.push(operation);
    }

    let outputs: Record<string, unknown> = {};
    const details: Array<{ code: string; message: string }> = operations
      .filter((o) => (o.properties as Record<string, unknown>).provisioningState === "Failed")
      .map((o) => ((o.properties as { statusMessage: { error: { code: string; message: string } } }).statusMessage.error));
    if (details.length === 0) {
      try {
        for (const [key, def] of Object.entries((template.outputs ?? {}) as Record<string, { type?: string; value?: unknown }>)) {
          outputs[key] = { type: def.type ?? "String", value: evaluateDeep(def.value, context) };
        }
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        details.push({ code: "DeploymentOutputEvaluationFailed", message: `Unable to evaluate template outputs: ${error.message}` });
        outputs = {};
      }
    }
    const finished = this.clock.nowMs();
    const deployment: Deployment = {
      scope: scopeText,
      name,
      createdAt: new Date(finished).toISOString(),
      operations,
      body: {
        id: deploymentId,
        name,
        type: "Microsoft.Resources/deployments",
        ...(typeof body.location === "string" ? { location: body.location } : {}),
        properties: {
          templateHash: String(BigInt(`0x${createHash("sha256").update(JSON.stringify(template)).digest("hex").slice(0, 15)}`)),
          parameters: Object.fromEntries([...parameters.entries()].map(([k, v]) => [k, { type: String(parameterDefs[k]?.type ?? "String"), value: v }])),
          mode: typeof properties.mode === "string" ? properties.mode : "Incremental",
          provisioningState: details.length ? "Failed" : "Succeeded",
          timestamp: new Date(finished).toISOString(),
          duration: `PT${((finished - started) / 1000).toFixed(3)}S`,
          correlationId: newGuid(),
          providers: providersOf(order),
          dependencies: order.filter((r) => r.dependsOn.length).map((r) => ({
            dependsOn: r.dependsOn.map((d) => ({ resourceType: resources.find((x) => x.key === d)?.type, resourceName: resources.find((x) => x.key === d)?.name })),
            resourceType: r.type,
            resourceName: r.name,
          })),
          outputs,
          outputResources,
          ...(details.length
            ? {
                error: {
                  code: "DeploymentFailed",
                  message: "At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.",
                  details,
                },
              }
            : {}),
        },
      },
    };
    await this.store.resources.putDeployment(deployment);
    return { created: !existing, deployment };
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

  /** Template resources, with child resources flattened and names evaluated (they key dependencies). */
  private flatten(raw: Array<Record<string, unknown>>, context: ExpressionContext, parent?: { type: string; name: string }): TemplateResource[] {
    const out: TemplateResource[] = [];
    for (const item of raw) {
      if (!item || typeof item !== "object") throw new TemplateError("Each template resource must be an object.");
      if (item.copy) throw new TemplateError("The 'copy' property is not supported by svcconn.");
      if (item.condition !== undefined && !evaluateDeep(item.condition, context)) continue;
      const typeValue = evaluateDeep(item.type, context);
      const nameValue = evaluateDeep(item.name, context);
      if (typeof typeValue !== "string" || (!parent && !typeValue.includes("/"))) throw new TemplateError(`The template resource type '${String(typeValue)}' is not valid.`);
      if (typeof nameValue !== "string" || !nameValue) throw new TemplateError(`The template resource '${typeValue}' has no name.`);
      // A child's type is either relative to its parent (`slots`) or full (`Microsoft.Web/sites/slots`).
      const type = parent && !typeValue.split("/")[0]!.includes(".") ? `${parent.type}/${typeValue}` : typeValue;
      const name = parent ? `${parent.name}/${nameValue}` : nameValue;
      if (type.split("/").length - 1 !== name.split("/").length) {
        throw new TemplateError(`The template resource '${name}' for type '${type}' has incorrect segment lengths. A nested resource type must have identical number of segments as its resource name.`);
      }
      if (type.toLowerCase() === "microsoft.resources/deployments") throw new TemplateError("Nested deployments are not supported by svcconn.");
      const { resources: children, dependsOn, ...rest } = item;
      const deps = (Array.isArray(dependsOn) ? dependsOn : []).map((d) => String(evaluateDeep(d, context)));
      if (parent) deps.push(parent.name);
      out.push({ key: name, type, name, apiVersion: typeof item.apiVersion === "string" ? item.apiVersion : undefined, raw: rest, dependsOn: deps });
      if (Array.isArray(children)) out.push(...this.flatten(children as Array<Record<string, unknown>>, context, { type, name }));
    }
    // dependsOn may name a resource by id, by name, or by type/name: resolve all to keys.
    for (const resource of out) {
      resource.dependsOn = resource.dependsOn.map((d) => resolveDependency(d, out)).filter((d): d is string => !!d && d !== resource.key);
    }
    return out;
  }

  private resourceIdOf(resource: TemplateResource, scope: DeploymentScope): string {
    if (resource.type.toLowerCase() === "microsoft.resources/resourcegroups" && scope.level === "subscription") {
      return `/subscriptions/${scope.subscriptionId}/resourceGroups/${resource.name}`;
    }
    if (resource.type.toLowerCase() === "microsoft.authorization/roleassignments") {
      const target = typeof resource.raw.scope === "string" ? "" : formatScope(scope);
      return `${target}/providers/Microsoft.Authorization/roleAssignments/${resource.name}`;
    }
    if (scope.level !== "resourceGroup") throw new TemplateError(`The resource type '${resource.type}' cannot be deployed at ${scope.level} scope.`);
    return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/${interleave(resource.type, resource.name.split("/"))}`;
  }

  private async write(caller: ArmCaller, scope: DeploymentScope, resource: TemplateResource, id: string, evaluated: Record<string, unknown>): Promise<Record<string, unknown>> {
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

function interleave(type: string, names: string[]): string {
  const [namespace, ...types] = type.split("/");
  if (types.length !== names.length) throw new TemplateError(`The resource type '${type}' and name '${names.join("/")}' have different numbers of segments.`);
  return [namespace, ...types.flatMap((t, i) => [t, names[i]])].join("/");
}

function resolveDependency(reference: string, resources: TemplateResource[]): string | undefined {
  const lower = reference.toLowerCase();
  for (const r of resources) {
    const name = r.name.toLowerCase();
    if (lower === name || lower === `${r.type.toLowerCase()}/${name}`) return r.key;
    if (lower.startsWith("/") && lower.endsWith(`/providers/${interleave(r.type, r.name.split("/")).toLowerCase()}`)) return r.key;
  }
  throw new TemplateError(`The resource '${reference}' is not defined in the template.`);
}

function orderByDependencies(resources: TemplateResource[]): TemplateResource[] {
  const byKey = new Map(resources.map((r) => [r.key, r]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: TemplateResource[] = [];
  const visit = (r: TemplateResource) => {
    if (done.has(r.key)) return;
    if (visiting.has(r.key)) throw new TemplateError(`Circular dependency detected on resource: '${r.key}'.`);
    visiting.add(r.key);
    for (const d of r.dependsOn) visit(byKey.get(d)!);
    visiting.delete(r.key);
    done.add(r.key);
    order.push(r);
  };
  for (const r of resources) visit(r);
  return order;
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

