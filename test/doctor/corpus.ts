import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export interface LabelledMessage {
  id: string;
  source: string;
  text: string;
}

const DIR = join(process.cwd(), "test/fixtures/errors");

/** The labelled corpus: one YAML file per diagnosis id, each with messages as real tools print them. */
export function loadCorpus(): Map<string, LabelledMessage[]> {
  const corpus = new Map<string, LabelledMessage[]>();
  for (const file of readdirSync(DIR).filter((f) => f.endsWith(".yaml")).sort()) {
    const doc = parse(readFileSync(join(DIR, file), "utf8")) as { id: string; messages: Array<{ source: string; text: string }> };
    corpus.set(doc.id, doc.messages.map((m) => ({ id: doc.id, source: m.source, text: m.text })));
  }
  return corpus;
}
