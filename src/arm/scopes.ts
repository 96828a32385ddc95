/**
 * ARM scopes: `/`, `/providers/Microsoft.Management/managementGroups/{mg}`, `/subscriptions/{s}`,
 * `/subscriptions/{s}/resourceGroups/{rg}` and resource ids below them. Comparisons are case-insensitive, as ARM's
 * are; keys are the lower-cased form.
 */
export type Scope =
  | { level: "root" }
  | { level: "managementGroup"; managementGroup: string }
  | { level: "subscription"; subscriptionId: string }
  | { level: "resourceGroup"; subscriptionId: string; resourceGroup: string }
  | { level: "resource"; subscriptionId: string; resourceGroup: string; providerPath: string[] };

export const scopeKey = (scope: string): string => normalizeScope(scope).toLowerCase();

/** Collapses duplicate slashes and drops a trailing slash; `/` stays `/`. */
export function normalizeScope(scope: string): string {
  const collapsed = `/${scope.split("/").filter(Boolean).join("/")}`;
  return collapsed;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses a scope string; undefined when it is not a valid scope. */
export function parseScope(scope: string): Scope | undefined {
  const parts = normalizeScope(scope).split("/").filter(Boolean);
  if (parts.length === 0) return { level: "root" };
  const lower = parts.map((p) => p.toLowerCase());
  if (lower[0] === "providers" && lower[1] === "microsoft.management" && lower[2] === "managementgroups" && parts.length === 4) {
    return { level: "managementGroup", managementGroup: parts[3]! };
  }
  if (lower[0] !== "subscriptions" || !parts[1] || !GUID.test(parts[1])) return undefined;
  const subscriptionId = parts[1].toLowerCase();
  if (parts.length === 2) return { level: "subscription", subscriptionId };
  if (lower[2] !== "resourcegroups" || !parts[3]) return undefined;
  if (parts.length === 4) return { level: "resourceGroup", subscriptionId, resourceGroup: parts[3] };
  if (lower[4] !== "providers") return undefined;
  const providerPath = parts.slice(5);
  // namespace, then type/name pairs.
  if (providerPath.length < 3 || providerPath.length % 2 !== 1) return undefined;
  return { level: "resource", subscriptionId, resourceGroup: parts[3], providerPath };
}

export function formatScope(scope: Scope): string {
  switch (scope.level) {
    case "root":
      return "/";
    case "managementGroup":
      return `/providers/Microsoft.Management/managementGroups/${scope.managementGroup}`;
    case "subscription":
      return `/subscriptions/${scope.subscriptionId}`;
    case "resourceGroup":
      return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`;
    case "resource":
      return `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}/providers/${scope.providerPath.join("/")}`;
  }
}

export const managementGroupScope = (name: string) => `/providers/Microsoft.Management/managementGroups/${name}`;

/** The resource type of a resource scope: `Microsoft.Web/sites/slots` for `Microsoft.Web/sites/a/slots/b`. */
export function resourceType(providerPath: string[]): string {
  const types = [providerPath[0]!];
  for (let i = 1; i < providerPath.length; i += 2) types.push(providerPath[i]!);
  return types.join("/");
}

/**
 * Every scope at or above `scope` inside its subscription, nearest last: the subscription, the resource group,
 * then each enclosing resource. Management groups and the root are added by the caller, who knows the tree.
 */
export function subscriptionChain(scope: Scope): string[] {
  if (scope.level === "root" || scope.level === "managementGroup") return [];
  const chain = [`/subscriptions/${scope.subscriptionId}`];
  if (scope.level === "subscription") return chain;
  chain.push(`${chain[0]}/resourcegroups/${scope.resourceGroup.toLowerCase()}`);
  if (scope.level === "resourceGroup") return chain;
  let path = `${chain[1]}/providers/${scope.providerPath[0]!.toLowerCase()}`;
  for (let i = 1; i < scope.providerPath.length; i += 2) {
    path += `/${scope.providerPath[i]!.toLowerCase()}/${scope.providerPath[i + 1]!.toLowerCase()}`;
    chain.push(path);
  }
  return chain;
}
