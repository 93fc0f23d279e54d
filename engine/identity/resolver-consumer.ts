/**
 * Moved: the resolver is `runResolverLoop` (resolver-loop.ts) and the partition publishers live in
 * partition-publish.ts. engine/ingest still imports these three names from here; once those imports
 * point at partition-publish.ts this file goes.
 */
export { publishControl, publishToPerson, type MergeControl } from './partition-publish';
