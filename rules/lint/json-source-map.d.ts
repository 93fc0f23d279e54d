// Types for json-source-map 0.6 (the package ships none): only the parse half nudge uses.
declare module 'json-source-map' {
  /** Zero-based; `column` counts a tab as four columns, `pos` counts characters. */
  export interface Location { line: number; column: number; pos: number }
  export interface Mapping { value: Location; valueEnd: Location; key?: Location; keyEnd?: Location }
  /** Parses like JSON.parse; `pointers` maps every RFC 6901 JSON pointer ("" is the root) to where it is. */
  export function parse(source: string): { data: unknown; pointers: Record<string, Mapping> };
}
