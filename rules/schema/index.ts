export * from './conditions';
export * from './duration';
export * from './rule';
export * from './goal';
export * from './steps';
export * from './tags';
export * from './step-tree';
