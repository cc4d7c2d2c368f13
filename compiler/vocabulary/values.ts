// The values a spec's expressions evaluate to (check/values.ts evaluates them), and the
// constructors registries write their defaults with.

export type SpecValue =
  | { t: 'num'; v: number; int: boolean }
  | { t: 'str'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'auto' }
  | { t: 'list'; items: SpecValue[] }
  /** A bare name that is not a known constant: a layer, loss, dataset… resolved by the caller. */
  | { t: 'name'; name: string };

export type Constants = ReadonlyMap<string, SpecValue>;

export const int = (v: number): SpecValue => ({ t: 'num', v, int: true });
export const num = (v: number): SpecValue => ({ t: 'num', v, int: false });
export const bool = (v: boolean): SpecValue => ({ t: 'bool', v });
export const str = (v: string): SpecValue => ({ t: 'str', v });
export const nums = (vs: number[]): SpecValue => ({ t: 'list', items: vs.map(num) });
export const AUTO: SpecValue = { t: 'auto' };

export function describe(value: SpecValue): string {
  switch (value.t) {
    case 'num':
      return `the number ${value.v}`;
    case 'str':
      return `the string "${value.v}"`;
    case 'bool':
      return `${value.v}`;
    case 'auto':
      return '`auto`';
    case 'list':
      return 'a list';
    case 'name':
      return `the name '${value.name}'`;
  }
}
