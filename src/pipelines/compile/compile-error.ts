/** Where a node is: the file (repository path) and 1-based line and column, as Azure Pipelines quotes them. */
export interface Pos {
  file: string;
  line: number;
  col: number;
}

/** A compile error with the position Azure Pipelines prints: `/azure-pipelines.yml (Line: 3, Col: 5): …`. */
export class CompileError extends Error {
  constructor(
    readonly reason: string,
    readonly pos?: Pos,
  ) {
    super(pos ? `${pos.file} (Line: ${pos.line}, Col: ${pos.col}): ${reason}` : reason);
  }
}

