// An informer's add/update/delete as one event, and a memory of what matters
// of each object, to tell a relevant change from one that is not (e.g. the
// controller's own status write).

export interface ObjectChange<T> {
  obj: T;
  deleted: boolean;
}

export class Marks<T extends { metadata: { name?: string } }> {
  readonly #seen = new Map<string, string>();
  readonly #mark: (obj: T) => unknown;

  constructor(mark: (obj: T) => unknown) {
    this.#mark = mark;
  }

  changed({ obj, deleted }: ObjectChange<T>): boolean {
    const name = obj.metadata.name!;
    if (deleted) {
      this.#seen.delete(name);
      return true;
    }
    const mark = JSON.stringify(this.#mark(obj));
    if (this.#seen.get(name) === mark) return false;
    this.#seen.set(name, mark);
    return true;
  }
}
