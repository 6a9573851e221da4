// A parse error that says where: source name, 1-based line and column.

export class FormatError extends Error {
  readonly source: string;
  readonly line: number;
  readonly column: number;
  constructor(source: string, line: number, column: number, message: string) {
    super(`${source}:${line}:${column}: ${message}`);
    this.name = "FormatError";
    this.source = source;
    this.line = line;
    this.column = column;
  }
}
