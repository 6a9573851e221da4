// One JSON document kept in a file that is never torn: each save writes a
// temporary file, flushes its data (fdatasync: the rename's metadata is made
// durable by the directory fsync), renames it over the old one and fsyncs the
// directory, so after a crash (even kill -9 mid-save) the file holds either
// the previous or the new document, complete.

import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { z } from "zod";

export class StateStore<S extends z.ZodType> {
  readonly path: string;
  readonly #schema: S;
  #seq = 0;

  constructor(path: string, schema: S) {
    this.path = path;
    this.#schema = schema;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.#removeLeftoverTemps();
  }

  /** The stored document, or undefined when none was saved yet. A corrupt file is an error, never silently reset. */
  load(): z.output<S> | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    const parsed = this.#schema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`state file ${this.path} does not match its schema: ${parsed.error.message}`);
    return parsed.data;
  }

  save(value: z.input<S>): void {
    writeFileAtomic(this.path, JSON.stringify(value), ++this.#seq);
  }

  #removeLeftoverTemps(): void {
    const prefix = `${basename(this.path)}.tmp-`;
    const dir = dirname(this.path);
    for (const name of readdirSync(dir)) if (name.startsWith(prefix)) rmSync(join(dir, name), { force: true });
  }
}

/** Replace `path` with `text` so that a crash leaves either the old or the new content, never a mix. */
export function writeFileAtomic(path: string, text: string, seq = 0): void {
  const temp = `${path}.tmp-${process.pid}-${seq}`;
  const fd = openSync(temp, "w", 0o600);
  try {
    writeSync(fd, text);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dir = openSync(dirname(path), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
