import { styleText } from "node:util";

type Style = Parameters<typeof styleText>[0];

/**
 * Text in colour (Node's `styleText`) when standard output is a terminal that shows colours — which honours
 * NO_COLOR, FORCE_COLOR and TERM=dumb (`hasColors`) — and plain otherwise (pipes, files, CI logs).
 */
export function paint(style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return stream.isTTY && stream.hasColors?.() ? styleText(style, text, { validateStream: false }) : text;
}
