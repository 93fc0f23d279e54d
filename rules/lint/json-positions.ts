/**
 * JSON text with the position of every value, so a problem at a JSON path can be reported at a line and
 * column the author can jump to. Positions are 1-based and count characters (a tab is one column), as
 * editors and CI annotations expect.
 */
import { parse as parseWithPointers, type Mapping } from 'json-source-map';

export interface Position {
  line: number;
  column: number;
}

export interface JsonDocument {
  data: unknown;
  /**
   * Where the value at `path` starts; a path that is not in the file (a missing required key) gets the
   * position of its nearest parent that is. `key: true` points at the property name instead.
   */
  positionOf(path: (string | number)[], options?: { key?: boolean }): Position;
}

/** The text is not JSON; `position` is where the parser gave up (1:1 when it does not say). */
export class JsonSyntaxError extends Error {
  constructor(message: string, readonly position: Position) {
    super(message);
    this.name = 'JsonSyntaxError';
  }
}

export function parseJsonDocument(text: string): JsonDocument {
  try {
    JSON.parse(text); // the platform parser's message is the clearest
  } catch (error) {
    throw syntaxError(text, (error as Error).message);
  }
  const { data, pointers } = parseWithPointers(text);
  const positionOf = (path: (string | number)[], options: { key?: boolean } = {}): Position => {
    for (let length = path.length; length >= 0; length--) {
      const mapping: Mapping | undefined = pointers[jsonPointer(path.slice(0, length))];
      if (!mapping) continue;
      const location = (length === path.length && options.key && mapping.key) || mapping.value;
      return positionAt(text, location.pos);
    }
    return { line: 1, column: 1 };
  };
  return { data, positionOf };
}

/** RFC 6901: "/steps/2/duration", with "~" and "/" in names escaped. */
export function jsonPointer(path: (string | number)[]): string {
  return path.map((part) => '/' + String(part).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

/** 1-based line and column of a character offset. */
export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: before.length - lineStart + 1 };
}

/**
 * Node's messages say "… in JSON at position N" for most mistakes, "Unexpected end of JSON input" when
 * the text stops early, and quote the whole (multi-line) input for a stray token; json-source-map says
 * "position N" for that case too.
 */
function syntaxError(text: string, nodeMessage: string): JsonSyntaxError {
  const message = nodeMessage.replace(/, (\.\.\.)?".*" is not valid JSON$/s, '');
  let offset = positionIn(nodeMessage);
  if (offset === undefined && /Unexpected end of JSON input/.test(nodeMessage)) offset = text.trimEnd().length;
  if (offset === undefined) {
    try {
      parseWithPointers(text);
    } catch (error) {
      offset = positionIn((error as Error).message);
    }
  }
  return new JsonSyntaxError(message, offset === undefined ? { line: 1, column: 1 } : positionAt(text, offset));
}

function positionIn(message: string): number | undefined {
  const match = /at position (\d+)/.exec(message);
  return match ? Number(match[1]) : undefined;
}
