export * from './analysis';
export * from './credits';
export * from './errors';
export * from './snapshot';
export * from './stages';
