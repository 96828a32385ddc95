/**
 * Identifiers found in an error text. They fill the placeholders of a diagnosis's steps so the user can paste
 * the commands as they are.
 */
export interface Entities {
  clientId?: string;
  objectId?: string;
  action?: string;
  scope?: string;
  subscriptionId?: string;
  tenant?: string;
  applicationName?: string;
  connection?: string;
  pipeline?: string;
  job?: string;
  step?: string;
  input?: string;
  issuer?: string;
  subject?: string;
  audience?: string;
  thumbprint?: string;
  traceId?: string;
  correlationId?: string;
  timestamp?: string;
  code?: string;
  /** A key vault a refusal names (`Vault: {name};location=…`). */
  vault?: string;
  /** The task a log names (its header or `Name@major`), and the version that supports what it lacks. */
  task?: string;
  taskUpgrade?: string;
}

const GUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
/** A quoted or bare identifier, allowing redactions such as *** or <GUID>. */
const ID = `(?:${GUID}|\\*{3,}|<[^>]{1,40}>|x{4,}|[\\w.@-]{2,80})`;

const rules: Array<[keyof Entities, RegExp, string?]> = [
  ["clientId", new RegExp(`application with identifier '(${ID})'`, "i")],
  ["clientId", new RegExp(`the client '(${ID})' with object id`, "i")],
  ["clientId", new RegExp(`application '(${ID})'\\s*\\(`, "i")],
  ["clientId", new RegExp(`(?:secret added to app|secret keys for app|keys for app id|for app) '(${ID})'`, "i"), "app"],
  ["clientId", new RegExp(`client application (${GUID})`, "i")],
  ["clientId", new RegExp(`failed to update the application '(${ID})'`, "i")],
  ["clientId", new RegExp(`(?:client[ _-]?id|app[ _-]?id|serviceprincipalid|application \\(client\\) id)["':= ]+(${GUID})`, "i"), "id"],
  ["objectId", new RegExp(`with object id '(${ID})'`, "i")],
  // Key Vault names its caller `appid=…;oid=…;iss=…`, the refused action, the resource and the vault.
  ["clientId", new RegExp(`appid=(${ID});oid=`, "i"), "appid="],
  ["objectId", new RegExp(`;oid=(${ID})(?:;|'|\\s)`, "i"), ";oid="],
  ["action", /\baction: '([^']+)'/i, "action: '"],
  ["scope", /\bresource: '(\/subscriptions\/[^']+)'/i, "resource: '"],
  ["vault", /(?:\bvault: |on key vault ')([a-z0-9-]{3,24});location=/i, "location="],
  ["objectId", /principal ([0-9a-f]{32}|[0-9a-f-]{36}) does not exist/i],
  ["action", /perform action '([^']+)'/i],
  ["scope", /over scope '([^']+)'/i],
  ["subscriptionId", new RegExp(`/subscriptions/(${GUID})`, "i"), "/subscriptions/"],
  ["subscriptionId", new RegExp(`subscription(?: id)? '?(${GUID})'?`, "i")],
  ["tenant", new RegExp(`(?:in the directory|directory) '(${ID}[^']*)'`, "i"), "directory '"],
  ["tenant", new RegExp(`tenant '(${ID})' not found`, "i")],
  ["tenant", /specified tenant identifier '([^']+)'/i],
  ["tenant", new RegExp(`in the tenant (${GUID})`, "i")],
  ["tenant", new RegExp(`must match the tenant 'https://sts\\.windows\\.net/(${GUID})/'`, "i")],
  ["tenant", new RegExp(`(?:tenant[ _-]?id|tenant)["':= ]+(${GUID})`, "i"), "tenant"],
  ["applicationName", new RegExp(`application '${ID}'\\s*\\(([^)]{1,260})\\) is disabled`, "i")],
  ["applicationName", /named '([^']+)'/i],
  ["connection", /references service connection (.{1,260}?) which could not be found/i],
  ["connection", /service connection with name (.{1,260}?) already exists/i],
  ["connection", /service connection '([^']+)'/i],
  ["connection", /service connection "([^"]+)"/i],
  ["connection", /connectedServiceName(?:ARM)?\s*[:=]\s*'?([\w.$()-]+)/i],
  ["job", /\bjob ([^:]{1,260}?):\s*step/i, "job "],
  ["step", /\bstep ([^ ]+?) input/i, "step "],
  ["input", /\binput (\S+) references/i, "input "],
  ["pipeline", /pipeline '([^']+)'/i],
  ["issuer", /assertion issuer:? '([^']+)'/i],
  ["issuer", /presented assertion issuer '([^']+)'/i],
  ["issuer", /assertion issuer:? (https?:\/\/\S+?)\.?(?:\s|$)/i],
  ["subject", /assertion subject:? '([^']+)'/i],
  ["subject", /presented assertion subject '([^']+)'/i],
  ["subject", /assertion subject:? (sc:\/\/\S+?)\.?(?:\s|$)/i],
  ["audience", /assertion audience:? '([^']+)'/i],
  ["thumbprint", /thumbprint of key used by client: '([0-9A-Fa-f]+)'/i],
  ["traceId", new RegExp(`trace id:? (${GUID})`, "i")],
  ["correlationId", new RegExp(`correlation id:? (${GUID})`, "i")],
  ["timestamp", /timestamp:? (\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\dZ?)/i],
  ["code", /\b(AADSTS\d{5,7})\b/, "aadsts"],
  ["code", /"code"\s*:\s*"(\w+)"/, '"code"'],
];

/**
 * The literal each rule needs (given, or its pattern's first words): a cheap test before the pattern runs. Explain
 * finds them in its one pass over the text with the signals' needles, and says which occur.
 */
export const ENTITY_NEEDLES: readonly string[] = rules.map(([, pattern, needle]) => needle ?? /^[a-z ]{3,}/i.exec(pattern.source.replace(/\\/g, ""))?.[0].toLowerCase().trim() ?? "");

/** The identifiers of a text; `occurs(i)` says whether rule i's needle is in it (a substring search by default). */
export function extractEntities(text: string, lower = text.toLowerCase(), occurs = (i: number) => lower.includes(ENTITY_NEEDLES[i]!)): Entities {
  const found: Entities = {};
  for (let i = 0; i < rules.length; i++) {
    const [key, pattern] = rules[i]!;
    if (found[key]) continue;
    if (ENTITY_NEEDLES[i] && !occurs(i)) continue;
    const match = pattern.exec(text);
    if (match?.[1]) found[key] = match[1].trim().replace(/[.,;]+$/, "");
  }
  // A refused role assignment names its own resource id as the scope; a role is given at the scope it sits in.
  if (found.scope) found.scope = found.scope.replace(/\/providers\/Microsoft\.Authorization\/role(?:Assignments|Definitions)\/[^/]+$/i, "") || "/";
  if (!found.subscriptionId && found.scope) {
    const sub = new RegExp(`/subscriptions/(${GUID})`, "i").exec(found.scope);
    if (sub) found.subscriptionId = sub[1];
  }
  if (!found.tenant && found.issuer && /(?:login\.microsoftonline\.com|sts\.windows\.net)/i.test(found.issuer)) {
    const tid = new RegExp(`(${GUID})`).exec(found.issuer);
    if (tid) found.tenant = tid[1];
  }
  return found;
}

const PLACEHOLDER_FALLBACK: Record<keyof Entities, string> = {
  clientId: "<application (client) id>",
  objectId: "<service principal object id>",
  action: "<action>",
  scope: "<scope>",
  subscriptionId: "<subscription id>",
  tenant: "<tenant id>",
  applicationName: "<application name>",
  connection: "<service connection>",
  pipeline: "<pipeline>",
  job: "<job>",
  step: "<step>",
  input: "<input>",
  issuer: "<issuer>",
  subject: "<subject>",
  audience: "<audience>",
  thumbprint: "<thumbprint>",
  traceId: "<trace id>",
  correlationId: "<correlation id>",
  timestamp: "<timestamp>",
  code: "<code>",
  vault: "<key vault>",
  task: "the task",
  taskUpgrade: "a task version that supports it",
};

/**
 * Replaces `{clientId}`-style placeholders with what the error named, or a readable stand-in; `{objectId|your
 * object id}` names its own stand-in where the usual one would mislead.
 */
export function fill(template: string, entities: Entities): string {
  if (!template.includes("{")) return template;
  return template.replace(/\{(\w+)(?:\|([^}]+))?\}/g, (whole, name: string, standIn: string | undefined) => {
    if (!(name in PLACEHOLDER_FALLBACK)) return whole;
    const value = entities[name as keyof Entities];
    if (value && !/^(\*{3,}|<[^>]*>|x{4,})$/i.test(value)) return value;
    return standIn ? `<${standIn}>` : PLACEHOLDER_FALLBACK[name as keyof Entities];
  });
}
