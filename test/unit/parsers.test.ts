import { describe, expect, it } from "vitest";
import { roleGrants } from "../../src/arm/authorize.js";
import { planDeployment, readDeploymentRequest } from "../../src/arm/deployment-plan.js";
import type { RoleDefinition, Subscription } from "../../src/arm/model.js";
import { formatScope, normalizeScope, parseScope, resourceType } from "../../src/arm/scopes.js";
import { evaluateDeep, evaluateString, TemplateError, type ExpressionContext } from "../../src/arm/template-expressions.js";
import { filterProperties, matches, parseFilter, pinnedValues } from "../../src/entra/http/graph/odata.js";
import { firstSyntaxError, readJsonBody } from "../../src/http/wire.js";

const SUB = "d0d0cafe-5ab0-4000-8000-000000000001";

describe("OData $filter", () => {
  const app = { appId: "abc", displayName: "Web App", tags: ["x", "y"], federatedIdentityCredentials: [{ subject: "repo:a", issuer: "https://i" }], accountEnabled: true };

  it("parses comparisons, functions, logic, parentheses and lambdas, and names the properties it uses", () => {
    const node = parseFilter("(appId eq 'abc' or startswith(displayName,'Web')) and not (displayName eq 'x') and federatedIdentityCredentials/any(f:f/subject eq 'repo:a')");
    expect(matches(node, app)).toBe(true);
    expect(filterProperties(node).map((p) => p.toLowerCase()).sort()).toEqual(["appid", "displayname", "displayname", "federatedidentitycredentials"].sort());
    expect(matches(parseFilter("tags/any(t:t eq 'y')"), app)).toBe(true);
    expect(matches(parseFilter("tags/any(t:t eq 'z')"), app)).toBe(false);
    expect(matches(parseFilter("displayName eq 'it''s'"), { displayName: "it's" })).toBe(true);
    expect(matches(parseFilter("accountEnabled eq true"), app)).toBe(true);
    expect(matches(parseFilter("endswith(displayName,'App')"), app)).toBe(true);
    expect(matches(parseFilter("displayName in ('Other', 'WEB APP', 'x')"), { displayName: "Web App" })).toBe(true);
    expect(matches(parseFilter("displayName in ('Other')"), { displayName: "Web App" })).toBe(false);
    const sixteen = Array.from({ length: 16 }, (_, i) => `'v${i}'`).join(",");
    expect(() => parseFilter(`appId in (${sixteen})`)).toThrow("Too many child clauses specified in search filter expression containing 'OR' operators: 16. Max allowed: 15.");
    // What a list may be narrowed to before rendering: only what every match must have.
    expect(pinnedValues(parseFilter("appId in ('A','b')"), "appId")).toEqual(new Set(["a", "b"]));
    expect(pinnedValues(parseFilter("startswith(displayName,'x') and appId eq 'C'"), "appId")).toEqual(new Set(["c"]));
    expect(pinnedValues(parseFilter("appId eq 'a' or displayName eq 'x'"), "appId")).toBeUndefined();
    expect(pinnedValues(parseFilter("not (appId eq 'a')"), "appId")).toBeUndefined();
  });

  it("answers Graph's syntax error with the position, for every malformed form", () => {
    for (const bad of ["appId eq", "appId eq 'x", "(appId eq 'x'", "appId eq 'x')", "startswith(displayName)", "appId ~ 'x'"]) {
      expect(() => parseFilter(bad), bad).toThrow(/Invalid filter clause|Syntax error|not supported|Unsupported/);
    }
  });
});

describe("ARM scopes", () => {
  it("parses every level, case-insensitively, and formats them back", () => {
    expect(parseScope("/")).toEqual({ level: "root" });
    expect(parseScope("/providers/microsoft.management/MANAGEMENTGROUPS/mg-1")).toEqual({ level: "managementGroup", managementGroup: "mg-1" });
    expect(parseScope(`/Subscriptions/${SUB.toUpperCase()}`)).toEqual({ level: "subscription", subscriptionId: SUB });
    expect(parseScope(`/subscriptions/${SUB}/resourcegroups/RG`)).toEqual({ level: "resourceGroup", subscriptionId: SUB, resourceGroup: "RG" });
    const resource = parseScope(`//subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/a/slots/b/`);
    expect(resource).toEqual({ level: "resource", subscriptionId: SUB, resourceGroup: "rg", providerPath: ["Microsoft.Web", "sites", "a", "slots", "b"] });
    expect(formatScope(resource!)).toBe(`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/a/slots/b`);
    expect(resourceType(["Microsoft.Web", "sites", "a", "slots", "b"])).toBe("Microsoft.Web/sites/slots");
    expect(normalizeScope("//a///b/")).toBe("/a/b");
  });

  it("refuses what is not a scope", () => {
    for (const bad of ["/subscriptions/not-a-guid", `/subscriptions/${SUB}/groups/rg`, `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Web/sites`, "/tenants/x", "/providers/Microsoft.Management/managementGroups"]) {
      expect(parseScope(bad), bad).toBeUndefined();
    }
  });
});

describe("role actions", () => {
  const role = (actions: string[], notActions: string[] = []): RoleDefinition =>
    ({ id: "r", roleName: "r", description: "", roleType: "CustomRole", permissions: [{ actions, notActions, dataActions: [], notDataActions: [] }], assignableScopes: ["/"] }) as unknown as RoleDefinition;

  it("matches wildcards anywhere, case-insensitively, and takes notActions away", () => {
    const contributor = role(["*"], ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write"]);
    expect(roleGrants(contributor, "Microsoft.Web/sites/write")).toBe(true);
    expect(roleGrants(contributor, "microsoft.authorization/roleAssignments/write")).toBe(false);
    expect(roleGrants(contributor, "Microsoft.Authorization/roleAssignments/read")).toBe(true);
    expect(roleGrants(role(["*/read"]), "Microsoft.Storage/storageAccounts/read")).toBe(true);
    expect(roleGrants(role(["*/read"]), "Microsoft.Storage/storageAccounts/write")).toBe(false);
    expect(roleGrants(role(["Microsoft.Storage/*/listKeys/action"]), "Microsoft.Storage/storageAccounts/listKeys/action")).toBe(true);
    // Regex characters in an action are literal.
    expect(roleGrants(role(["Microsoft.Web/sites/(read)"]), "Microsoft.Web/sites/read")).toBe(false);
  });
});

describe("template expressions", () => {
  const context: ExpressionContext = {
    parameter: (name) => ({ prefix: "st", count: 2 })[name],
    variable: (name) => ({ list: ["a", "b"] })[name],
    resourceGroup: () => ({ id: `/subscriptions/${SUB}/resourceGroups/rg`, name: "rg", location: "westeurope" }),
    subscription: () => ({ subscriptionId: SUB }),
    tenant: () => ({ tenantId: "t" }),
    deployment: () => ({ name: "d" }),
    resourceId: (sub, rg, type, names) => `${sub ?? "S"}|${rg ?? "R"}|${type}|${names.join(",")}`,
    subscriptionResourceId: (sub, type, names) => `${sub ?? "S"}|${type}|${names.join(",")}`,
    reference: (target, full) => ({ target, full }),
  };

  it("evaluates functions from the table, with property and index access and the [[ escape", () => {
    expect(evaluateString("[concat(parameters('prefix'), '-', toUpper('x'))]", context)).toBe("st-X");
    expect(evaluateString("[format('{0}-{1}', 'a', 2)]", context)).toBe("a-2");
    expect(evaluateString("[resourceGroup().location]", context)).toBe("westeurope");
    expect(evaluateString("[variables('list')[1]]", context)).toBe("b");
    expect(evaluateString("[resourceId('Microsoft.Web/sites', 'app')]", context)).toBe("S|R|Microsoft.Web/sites|app");
    expect(evaluateString("[resourceId('sub', 'rg2', 'Microsoft.Web/sites', 'app', 'x')]", context)).toBe("sub|rg2|Microsoft.Web/sites|app,x");
    expect(evaluateString("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'id')]", context)).toBe("S|Microsoft.Authorization/roleDefinitions|id");
    expect(evaluateString("[if(equals(length(variables('list')), 2), 'two', 'other')]", context)).toBe("two");
    expect(evaluateString("[reference('x', '2020-01-01', 'Full')]", context)).toEqual({ target: "x", full: true });
    expect(evaluateString("[createObject('a', 1).a]", context)).toBe(1);
    expect(evaluateString("[[not an expression]", context)).toBe("[not an expression]");
    expect(evaluateDeep({ a: ["[toLower('X')]"] }, context)).toEqual({ a: ["x"] });
  });

  it("answers ARM's texts for unknown functions, wrong argument counts and bad properties, never Object's prototype", () => {
    expect(() => evaluateString("[nosuch()]", context)).toThrow("The template function 'nosuch' is not valid.");
    expect(() => evaluateString("[constructor()]", context)).toThrow("The template function 'constructor' is not valid.");
    expect(() => evaluateString("[toString()]", context)).toThrow(TemplateError);
    expect(() => evaluateString("[toLower('a', 'b')]", context)).toThrow("function requires 1 argument(s) while 2 were provided");
    expect(() => evaluateString("[format()]", context)).toThrow("function requires 1 to 99 argument(s) while 0 were provided");
    expect(() => evaluateString("[resourceGroup().nothing]", context)).toThrow("The language expression property 'nothing' doesn't exist");
    expect(() => evaluateString("[concat('a']", context)).toThrow(TemplateError);
    // Without the closing bracket it is a plain string, not an expression.
    expect(evaluateString("[concat('a'", context)).toBe("[concat('a'");
  });
});

describe("deployment plan", () => {
  const scope = { level: "resourceGroup", subscriptionId: SUB, resourceGroup: "rg" } as const;
  const group = { subscriptionId: SUB, name: "rg", location: "westeurope", tags: {}, managedBy: null, createdAt: "" };
  const subscription = { id: SUB, tenantId: "t", displayName: "Production", state: "Enabled" } as unknown as Subscription;
  const request = (template: Record<string, unknown>, parameters: Record<string, unknown> = {}) => readDeploymentRequest(scope, "d1", { properties: { mode: "Incremental", template, parameters } });

  it("resolves parameters and orders resources after what they depend on, children after parents", () => {
    const plan = planDeployment(
      request(
        {
          parameters: { name: { type: "string", defaultValue: "app" } },
          resources: [
            { type: "Microsoft.Web/sites", name: "[parameters('name')]", dependsOn: ["[resourceId('Microsoft.Web/serverfarms', 'plan')]"], resources: [{ type: "slots", name: "staging" }] },
            { type: "Microsoft.Web/serverfarms", name: "plan" },
          ],
        },
        { name: { value: "web" } },
      ),
      { tenantId: "t", subscription, group },
    );
    expect(plan.order.map((r) => `${r.type}:${r.name}`)).toEqual(["Microsoft.Web/serverfarms:plan", "Microsoft.Web/sites:web", "Microsoft.Web/sites/slots:web/staging"]);
    expect(plan.parameters.get("name")).toBe("web");
  });

  it("fails with ARM's texts: missing or unknown parameters, disallowed values, cycles, bad requests", () => {
    const target = { tenantId: "t", group };
    expect(() => planDeployment(request({ parameters: { p: { type: "string" } } }), target)).toThrow("The value for the template parameter 'p' is not provided.");
    expect(() => planDeployment(request({}, { q: { value: 1 } }), target)).toThrow("do not correspond to any parameters defined in the template: 'q'");
    expect(() => planDeployment(request({ parameters: { p: { type: "string", allowedValues: ["a"] } } }, { p: { value: "b" } }), target)).toThrow("The value must be one of");
    const cycle = { resources: [{ type: "A.B/c", name: "x", dependsOn: ["y"] }, { type: "A.B/c", name: "y", dependsOn: ["x"] }] };
    expect(() => planDeployment(request(cycle), target)).toThrow("Circular dependency detected");
    expect(() => readDeploymentRequest(scope, "bad name!", { properties: { template: {} } })).toThrow("The deployment name 'bad name!' is invalid.");
    expect(() => readDeploymentRequest({ level: "subscription", subscriptionId: SUB }, "d", { properties: { template: {} } })).toThrow("The 'location' property must be specified");
    expect(() => readDeploymentRequest(scope, "d", { properties: { templateLink: { uri: "https://x" } } })).toThrow("Linked templates (properties.templateLink) cannot be deployed here");
  });
});

describe("JSON bodies", () => {
  it("finds where a text stops being JSON, at any depth", () => {
    const cases: Array<[string, number]> = [
      ['{"a": westeurope}', 6],
      ["{nope", 1],
      ['{"a":1,}', 7],
      ["[1,2", 4],
      ['{"a" 1}', 5],
      ['"\\x"', 1],
      ["01", 1],
      ['{"a":[1,{"b":tru}]}', 13],
      [`${"[".repeat(100_000)}x`, 100_000],
    ];
    for (const [text, at] of cases) expect(firstSyntaxError(text), text.slice(0, 40)).toBe(at);
  });

  it("reads charsets and refuses depth beyond Json.NET's MaxDepth", () => {
    expect(readJsonBody(Buffer.from('{"a":1}', "utf16le"), "application/json; charset=utf-16")).toEqual({ value: { a: 1 } });
    expect(readJsonBody(Buffer.from("\ufeff[1]"), "application/json")).toEqual({ value: [1] });
    expect(readJsonBody(Buffer.from(""), "application/json")).toEqual({ value: undefined });
    expect(readJsonBody(Buffer.from("[]"), "application/json; charset=ebcdic")).toEqual({ problem: { kind: "charset", charset: "ebcdic" } });
    expect(readJsonBody(Buffer.from(`${"[".repeat(65)}${"]".repeat(65)}`), "application/json")).toEqual({ problem: { kind: "depth" } });
    expect(readJsonBody(Buffer.from(`["${"[".repeat(100)}"]`), "application/json")).toEqual({ value: ["[".repeat(100)] });
  });
});

describe("template expression bounds", () => {
  it("evaluates nesting up to its bound, and refuses deeper or longer expressions without exhausting the stack", () => {
    const context = { spend: () => undefined } as unknown as ExpressionContext;
    const nestedConcat = (levels: number) => `[${"concat(".repeat(levels)}'a'${")".repeat(levels)}]`;
    expect(evaluateString(nestedConcat(127), context)).toBe("a");
    expect(nestedConcat(3000).length).toBeLessThanOrEqual(24_576);
    expect(() => evaluateString(nestedConcat(3000), context)).toThrow("nests functions more than 128 deep");
    expect(() => evaluateString(nestedConcat(3100), context)).toThrow("exceeds the limit of 24576 characters");
  });
});
