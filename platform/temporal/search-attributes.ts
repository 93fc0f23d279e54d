/**
 * nudge's custom search attributes on a Temporal namespace. `nudge dev` passes them to the dev server
 * as flags; `nudge setup temporal` registers them on a real cluster through the operator API, adding
 * only what is missing, so running it again changes nothing.
 */
import type { Connection } from '@temporalio/client';
// A CommonJS module whose names Node's ESM loader cannot see: imported whole.
import proto from '@temporalio/proto';

const { temporal } = proto;

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

/** Name → type, the one list the dev server flags and the operator registration are built from. */
export const NUDGE_SEARCH_ATTRIBUTES = {
  RuleId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  UserId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  RuleVersion: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  PersonIds: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  // Set by the journey when it ends (journey.workflow.ts), so the Web UI filters converted journeys and exits by reason.
  NudgeConverted: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  NudgeExitReason: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
} as const;

const FLAG_TYPE: Record<number, string> = {
  [IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]: 'Keyword',
  [IndexedValueType.INDEXED_VALUE_TYPE_INT]: 'Int',
  [IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST]: 'KeywordList',
  [IndexedValueType.INDEXED_VALUE_TYPE_BOOL]: 'Bool',
};

/** The custom search attributes as `temporal server start-dev --search-attribute` arguments. */
export const SEARCH_ATTRIBUTE_FLAGS = Object.entries(NUDGE_SEARCH_ATTRIBUTES).map(([name, type]) => `${name}=${FLAG_TYPE[type]}`);

/** A search attribute exists with another type: Temporal cannot change it, an operator must decide. */
export class SearchAttributeConflictError extends Error {
  readonly code = 'SEARCH_ATTRIBUTE_CONFLICT';
  constructor(readonly attribute: string, namespace: string, existing: number, wanted: number) {
    super(`search attribute ${attribute} exists in namespace ${namespace} as ${FLAG_TYPE[existing] ?? `type ${existing}`}, nudge needs ${FLAG_TYPE[wanted]}`);
    this.name = 'SearchAttributeConflictError';
  }
}

export interface SearchAttributeSetup {
  added: string[];
  present: string[];
}

export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<SearchAttributeSetup> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const existing = customAttributes ?? {};
  const missing: Record<string, number> = {};
  const present: string[] = [];
  for (const [name, type] of Object.entries(NUDGE_SEARCH_ATTRIBUTES)) {
    if (!(name in existing)) missing[name] = type;
    else if (existing[name] !== type) throw new SearchAttributeConflictError(name, namespace, existing[name]!, type);
    else present.push(name);
  }
  if (Object.keys(missing).length) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  return { added: Object.keys(missing), present };
}
