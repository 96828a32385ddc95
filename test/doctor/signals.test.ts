import { describe, expect, it } from "vitest";
import { CATALOG } from "../../src/doctor/catalog/index.js";

/**
 * Texts a signal's pattern accepts, one wording per alternative (each group's alternatives tried in turn, the rest at
 * their first): enough to show a wording its needles would keep the pattern from ever seeing.
 */
type Node = { kind: "text"; value: string[] } | { kind: "group"; alternatives: Node[][] };

function parse(source: string): Node[][] {
  let at = 0;
  const alternatives = (): Node[][] => {
    const out: Node[][] = [[]];
    while (at < source.length && source[at] !== ")") {
      const c = source[at]!;
      if (c === "|") {
        out.push([]);
        at++;
        continue;
      }
      out.at(-1)!.push(quantified(atom()));
    }
    return out;
  };
  const atom = (): Node => {
    const c = source[at++]!;
    if (c === "(") {
      const look = /^\?(?:<?[=!])/.exec(source.slice(at));
      if (look) at += look[0].length;
      else if (source.startsWith("?:", at)) at += 2;
      const inner = alternatives();
      at++; // ")"
      return look ? { kind: "text", value: [""] } : { kind: "group", alternatives: inner };
    }
    if (c === "[") {
      const end = source.indexOf("]", at + 1);
      const body = source.slice(at, end);
      at = end + 1;
      if (body.startsWith("^")) return { kind: "text", value: [["x", "a", "1", " ", "-"].find((ch) => !body.includes(ch)) ?? "q"] };
      return { kind: "text", value: [body.startsWith("\\") ? escaped(body[1]!) : body[0]!] };
    }
    if (c === "\\") return { kind: "text", value: [escaped(source[at++]!)] };
    if (c === "." ) return { kind: "text", value: ["x"] };
    if (c === "^" || c === "$") return { kind: "text", value: [""] };
    return { kind: "text", value: [c] };
  };
  const quantified = (node: Node): Node => {
    const q = /^(?:\?|\*|\+|\{(\d+)(?:,\d*)?\})\??/.exec(source.slice(at));
    if (!q) return node;
    at += q[0].length;
    const once = examples([[node]]);
    if (q[0].startsWith("?") || q[0].startsWith("*")) return { kind: "text", value: [...once, ""] };
    if (q[0].startsWith("{")) return { kind: "text", value: once.map((e) => e.repeat(Number(q[1]))) };
    return { kind: "text", value: once };
  };
  return alternatives();
}

function escaped(c: string): string {
  return ({ d: "1", w: "a", s: " ", S: "x", b: "", B: "" } as Record<string, string>)[c] ?? c;
}

function examples(alternatives: Node[][]): string[] {
  const out: string[] = [];
  for (const sequence of alternatives) {
    const options = sequence.map((n) => (n.kind === "text" ? n.value : examples(n.alternatives)));
    const first = options.map((o) => o[0] ?? "");
    out.push(first.join(""));
    options.forEach((o, i) => {
      for (const other of o.slice(1)) out.push([...first.slice(0, i), other, ...first.slice(i + 1)].join(""));
    });
  }
  return out;
}

describe("explain's signals", () => {
  it("let every wording their pattern accepts through their needles (the prefilter names a literal of each)", () => {
    const blocked: string[] = [];
    for (const d of CATALOG) {
      for (const s of d.signals) {
        for (const text of new Set(examples(parse(s.pattern.source)))) {
          if (s.pattern.test(text) && !s.needles.some((n) => text.includes(n))) blocked.push(`${d.id}: "${text}" reaches no needle of [${s.needles.join(", ")}]`);
        }
      }
    }
    expect(blocked).toEqual([]);
  });

  it("generates the wordings a pattern accepts", () => {
    expect(examples(parse("grant (?:has )?expired"))).toEqual(["grant has expired", "grant expired"]);
    expect(examples(parse("a|b(?:c|d)"))).toEqual(["a", "bc", "bd"]);
  });
});
