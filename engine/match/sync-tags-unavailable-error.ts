/**
 * A synchronous evaluation (`matches`, `evaluateSync`) of conditions that read tags was given a tag source
 * that can only compute asynchronously (no `valuesAt`). Use the async `evaluate`, or pass a TagSet.
 * A programming error, not a property of the data: retrying cannot help.
 */
export const SYNC_TAGS_UNAVAILABLE = 'sync_tags_unavailable';

export class SyncTagsUnavailableError extends Error {
  readonly code = SYNC_TAGS_UNAVAILABLE;

  constructor() {
    super('these conditions read tags, but the tag source has no synchronous valuesAt(); evaluate them with the async evaluate()');
    this.name = 'SyncTagsUnavailableError';
  }
}
