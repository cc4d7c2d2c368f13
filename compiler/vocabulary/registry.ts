// Registries (layers, losses, optimizers, schedules, initializers, transforms, data sources) are
// written as object literals keyed by name, so a name given twice is a compile error; an entry
// filed under another name than its own fails as the module loads. `registry` gives them the
// read-only Map interface every stage reads them through.

export class Registry<V extends { name: string }, K extends string = string> implements ReadonlyMap<
  string,
  V
> {
  private readonly map: ReadonlyMap<string, V>;

  constructor(entries: Record<K, V>) {
    for (const [key, entry] of Object.entries<V>(entries)) {
      if (entry.name !== key)
        throw new Error(`registry entry '${entry.name}' is filed as '${key}'`);
    }
    this.map = new Map(Object.entries(entries) as [string, V][]);
  }

  get size(): number {
    return this.map.size;
  }
  get(name: string): V | undefined {
    return this.map.get(name);
  }
  has(name: string): name is K {
    return this.map.has(name);
  }
  keys(): MapIterator<string> {
    return this.map.keys();
  }
  values(): MapIterator<V> {
    return this.map.values();
  }
  entries(): MapIterator<[string, V]> {
    return this.map.entries();
  }
  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    this.map.forEach(fn);
  }
  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.map[Symbol.iterator]();
  }
}

/** The names a registry files its entries under, as a type: `RegistryName<typeof TRANSFORMS>`. */
export type RegistryName<R> = R extends Registry<{ name: string }, infer K> ? K : never;

/**
 * A registry of `V`s: `registry<LayerDef>()({ Linear, Flatten, … })`. Each entry is filed under
 * its own `name`; a name given twice is a compile error (an object literal cannot repeat a key).
 */
export function registry<V extends { name: string }>() {
  return <const T extends Record<string, V>>(entries: T) =>
    new Registry<V, keyof T & string>(entries);
}
