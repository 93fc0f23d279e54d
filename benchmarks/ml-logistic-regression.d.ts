// ml-logistic-regression 2.0.0 ships no types: what benchmarks/scoring.ts (the candidate comparison) uses.
declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix';

  export default class LogisticRegression {
    constructor(options?: { numSteps?: number; learningRate?: number });
    classifiers: { testScores(features: Matrix): number[] }[];
    train(X: Matrix, Y: Matrix): void;
  }
}
