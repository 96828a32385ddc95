import { CompileError, type Pos } from "./compile-error.js";

/**
 * The limits Azure Pipelines puts on compiling a pipeline (its template evaluator's TemplateMemory, as published
 * in actions/runner src/Sdk/DTPipelines/Pipelines/ObjectTemplating/PipelineTemplateEvaluator.cs and
 * src/Sdk/DTObjectTemplating/ObjectTemplating/TemplateMemory.cs; the file limits of Microsoft Learn's "Template
 * limits"), with the service's texts (TemplateStrings).
 */
export const COMPILE_LIMITS = {
  /** Nodes read or made while expanding: an `each` over an `each` over an `each` ends here. */
  maxEvents: 1_000_000,
  /** What the expanded pipeline may weigh (.NET string sizes: 26 bytes plus two per character; 24 per object). */
  maxResultBytes: 10 * 1024 * 1024,
  /** How deep the expanded pipeline may nest. */
  maxDepth: 50,
} as const;

export const TEMPLATE_TEXTS = {
  events: "Maximum events exceeded while evaluating the template. This may indicate an infinite loop or too many nested loops.",
  size: "Maximum object size exceeded",
  depth: "Maximum object depth exceeded",
};

const STRING_OVERHEAD = 26;
const OBJECT_SIZE = 24;

/** Counts the work one compile does; the first limit passed ends it with the service's text at the position. */
export class CompileBudget {
  private events = 0;
  private bytes = 0;

  constructor(private readonly limits: { maxEvents: number; maxResultBytes: number; maxDepth: number } = COMPILE_LIMITS) {}

  /** One node read or made. */
  event(pos?: Pos): void {
    if (++this.events > this.limits.maxEvents) throw new CompileError(TEMPLATE_TEXTS.events, pos);
  }

  /** A scalar of the expanded pipeline. */
  text(value: string, pos?: Pos): void {
    this.add(STRING_OVERHEAD + 2 * value.length, pos);
  }

  /** A mapping or sequence of the expanded pipeline. */
  object(pos?: Pos): void {
    this.add(OBJECT_SIZE, pos);
  }

  depth(depth: number, pos?: Pos): void {
    if (depth > this.limits.maxDepth) throw new CompileError(TEMPLATE_TEXTS.depth, pos);
  }

  private add(bytes: number, pos?: Pos): void {
    this.event(pos);
    this.bytes += bytes;
    if (this.bytes > this.limits.maxResultBytes) throw new CompileError(TEMPLATE_TEXTS.size, pos);
  }
}
