/** `##vso[area.event k=v;…]data`: how a task talks to the agent (azure-pipelines-task-lib's command format). */
export interface LoggingCommand {
  command: string;
  properties: Record<string, string>;
  data: string;
}

const COMMAND = /^##vso\[([A-Za-z]+\.[A-Za-z]+)([^\]]*)\](.*)$/s;

/** task-lib's escaping, undone: `%AZP25` last so an escaped `%0A` stays literal. */
function unescapeValue(text: string, property: boolean): string {
  let out = text.replace(/%0D/gi, "\r").replace(/%0A/gi, "\n");
  if (property) out = out.replace(/%5D/gi, "]").replace(/%3B/gi, ";");
  return out.replace(/%AZP25/gi, "%");
}

/** Parses a line that holds a logging command (anywhere in the line, as the agent finds it), or undefined. */
export function parseLoggingCommand(line: string): LoggingCommand | undefined {
  const at = line.indexOf("##vso[");
  if (at < 0) return undefined;
  const match = COMMAND.exec(line.slice(at));
  if (!match) return undefined;
  const properties: Record<string, string> = {};
  for (const part of match[2]!.trim().split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    properties[part.slice(0, eq).trim().toLowerCase()] = unescapeValue(part.slice(eq + 1), true);
  }
  return { command: match[1]!.toLowerCase(), properties, data: unescapeValue(match[3]!, false) };
}
