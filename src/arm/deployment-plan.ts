import type { ResourceGroup, Subscription } from "./model.js";
import { formatScope, type Scope } from "./scopes.js";
import { evaluateDeep, TemplateError, type ExpressionContext } from "./template-expressions.js";

/**
 * The pure half of a deployment: read the request, evaluate parameters, flatten and name the resources, and order
 * them by their dependencies — everything that can be known before anything is written. No I/O: the caller passes
 * the subscription and resource group the template functions describe (`DeploymentTarget`). Failures are `TemplateError`s (ARM's
 * InvalidTemplate) or `DeploymentRequestError`s (the request itself).
 */

export type DeploymentScope = Extract<Scope, { level: "resourceGroup" | "subscription" | "managementGroup" }>;

export interface TemplateResource {
  key: string;
  type: string;
  name: string;
  apiVersion?: string;
  raw: Record<string, unknown>;
  dependsOn: string[];
}

/** A request ARM refuses before it looks at the template: status, code, message. */
export class DeploymentRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A deployment request that passed ARM's checks of the request itself. */
export interface DeploymentRequest {
  scope: DeploymentScope;
  name: string;
  location?: string;
  mode: string;
  template: Record<string, unknown>;
  /** The supplied parameter values, `{name: {value}}`. */
  parameters: Record<string, unknown>;
}

/** What the template functions describe: the caller's tenant, and the deployment's subscription and group. */
export interface DeploymentTarget {
  tenantId: string;
  subscription?: Subscription;
  group?: ResourceGroup;
}

export interface DeploymentPlan {
  scope: DeploymentScope;
  name: string;
  location?: string;
  mode: string;
  template: Record<string, unknown>;
  parameterTypes: Record<string, string>;
  parameters: Map<string, unknown>;
  resources: TemplateResource[];
  /** Resources in the order they are written: every resource after what it depends on. */
  order: TemplateResource[];
  /** The template functions' view of the world; `reference()` reads what execution records in `written`. */
  context: ExpressionContext;
  /** Values of the resources written so far, by lower-case id (what `reference()` returns). */
  written: Map<string, Record<string, unknown>>;
}

const NAME = /^[-\w.()]{1,64}$/;

/** ARM's documented template limits. */
export const TEMPLATE_LIMITS = { parameters: 256, variables: 256, resources: 800, outputs: 64 } as const;
/** All the values one deployment's expressions may produce together (16 MiB): bounds memory and time. */
export const EVALUATION_BUDGET = 16 * 1_048_576;

function checkCount(what: keyof typeof TEMPLATE_LIMITS, count: number): void {
  const limit = TEMPLATE_LIMITS[what];
  if (count > limit) throw new TemplateError(`The number of template ${what} (${count}) exceeds the limit of ${limit}.`);
}

/** The request's own checks: name, properties, inline template, location outside a resource group. */
export function readDeploymentRequest(scope: DeploymentScope, name: string, body: Record<string, unknown>): DeploymentRequest {
  if (!NAME.test(name)) throw new DeploymentRequestError(400, "InvalidDeploymentName", `The deployment name '${name}' is invalid. It can only contain letters, digits, '-', '.', '_', '(' and ')', up to 64 characters.`);
  const properties = body.properties as Record<string, unknown> | undefined;
  if (!properties || typeof properties !== "object") throw new DeploymentRequestError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: 'properties is required'.");
  if (properties.templateLink) throw new TemplateError("Linked templates (properties.templateLink) cannot be deployed here; send the template inline in properties.template.");
  const template = properties.template as Record<string, unknown> | undefined;
  if (!template || typeof template !== "object" || Array.isArray(template)) throw new TemplateError("The template is missing or is not a JSON object");
  if (scope.level !== "resourceGroup" && typeof body.location !== "string") {
    throw new DeploymentRequestError(400, "InvalidDeploymentLocation", "The 'location' property must be specified for a deployment at subscription or management group scope.");
  }
  return {
    scope,
    name,
    location: typeof body.location === "string" ? body.location : undefined,
    mode: typeof properties.mode === "string" ? properties.mode : "Incremental",
    template,
    parameters: (properties.parameters ?? {}) as Record<string, unknown>,
  };
}

/** Parameters, resources and their order, for a request against a target. */
export function planDeployment(request: DeploymentRequest, target: DeploymentTarget): DeploymentPlan {
  const { name, template } = request;
  const { subscription, group } = target;
  const supplied = request.parameters;
  const parameterDefs = (template.parameters ?? {}) as Record<string, Record<string, unknown>>;
  const variableDefs = (template.variables ?? {}) as Record<string, unknown>;
  checkCount("parameters", Object.keys(parameterDefs).length);
  checkCount("variables", Object.keys(variableDefs).length);
  checkCount("outputs", Object.keys((template.outputs ?? {}) as object).length);
  let spent = 0;
  const written = new Map<string, Record<string, unknown>>();
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
    tenant: () => ({ tenantId: target.tenantId, countryCode: "US", displayName: "", id: `/tenants/${target.tenantId}` }),
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
    spend: (size) => {
      spent += size;
      if (spent > EVALUATION_BUDGET) {
        throw new TemplateError(`The template's expressions produced more than ${EVALUATION_BUDGET} characters in all, the limit for one deployment.`);
      }
    },
    // Only resources of this deployment can be referenced (evaluation is synchronous; svcconn documents this).
    reference: (target, full) => {
      const lower = target.toLowerCase();
      const value = written.get(lower) ?? [...written.entries()].find(([k]) => k.endsWith(`/${lower}`))?.[1];
      if (!value) throw new TemplateError(`The Resource '${target}' is not defined in the template.`);
      return full ? value : (value.properties ?? {});
    },
  };

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
  const resources = flattenResources(Array.isArray(template.resources) ? (template.resources as Array<Record<string, unknown>>) : [], context);
  checkCount("resources", resources.length);
  return {
    ...request,
    parameterTypes: Object.fromEntries(Object.entries(parameterDefs).map(([k, d]) => [k, String(d?.type ?? "String")])),
    parameters,
    resources,
    order: orderByDependencies(resources),
    context,
    written,
  };
}

/** Template resources, with child resources flattened and names evaluated (they key dependencies). */
export function flattenResources(raw: Array<Record<string, unknown>>, context: ExpressionContext): TemplateResource[] {
  const out = collectResources(raw, context);
  // dependsOn may name a resource by id, by name, or by type/name (a child its parent, too): resolve all to keys,
  // over the whole template, once every resource (children included) is known.
  for (const resource of out) {
    resource.dependsOn = resource.dependsOn.map((d) => resolveDependency(d, out)).filter((d): d is string => !!d && d !== resource.key);
  }
  return out;
}

function collectResources(raw: Array<Record<string, unknown>>, context: ExpressionContext, parent?: { type: string; name: string }): TemplateResource[] {
  const out: TemplateResource[] = [];
  for (const item of raw) {
    if (!item || typeof item !== "object") throw new TemplateError("Each template resource must be an object.");
    if (item.copy) throw new TemplateError("The 'copy' property of a template resource cannot be deployed here; list the copies as resources.");
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
    if (type.toLowerCase() === "microsoft.resources/deployments") throw new TemplateError("Nested deployments (Microsoft.Resources/deployments resources) cannot be deployed here; deploy each template on its own.");
    const { resources: children, dependsOn, ...rest } = item;
    const deps = (Array.isArray(dependsOn) ? dependsOn : []).map((d) => String(evaluateDeep(d, context)));
    if (parent) deps.push(parent.name);
    out.push({ key: name, type, name, apiVersion: typeof item.apiVersion === "string" ? item.apiVersion : undefined, raw: rest, dependsOn: deps });
    if (Array.isArray(children)) out.push(...collectResources(children as Array<Record<string, unknown>>, context, { type, name }));
  }
  return out;
}

export function resourceIdOf(resource: TemplateResource, scope: DeploymentScope): string {
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


export function interleave(type: string, names: string[]): string {
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

export function orderByDependencies(resources: TemplateResource[]): TemplateResource[] {
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

