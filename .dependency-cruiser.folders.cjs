/**
 * The second pass of `npm run deps`, over run-time imports only (type-only imports are erased by the
 * compiler; the layer rules in .dependency-cruiser.cjs still see them):
 * - folder cycles: two folders that import each other at run time are one module in two places,
 *   whatever their layers (a workflow file may import its activities' types from the folder that
 *   imports the journey core: types only);
 * - what the Temporal workflow bundle reaches: no Node built-ins anywhere in it.
 */
const base = require('./.dependency-cruiser.cjs');
const { NODE_BUILTINS } = require('./scripts/architecture/layers.cjs');

module.exports = {
  forbidden: [
    {
      name: 'no-circular-folders',
      comment: 'No import cycles between folders',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'workflow-no-node-builtins',
      comment: 'Workflow code runs in the Temporal sandbox and must replay deterministically: no Node built-ins in a *.workflow.ts file or anything it reaches',
      severity: 'error',
      from: { path: '\\.workflow\\.ts$' },
      to: { path: NODE_BUILTINS, reachable: true },
    },
  ],
  options: { ...base.options, tsPreCompilationDeps: false, exclude: { path: '(^|/)node_modules/|(^test/|\\.test\\.ts$|\\.conformance\\.ts$|\\.arbitraries\\.ts$|\\.harness\\.ts$)' } },
};
