export * from './analysis';
export * from './credits';
export * from './errors';
export * from './limits';
export * from './snapshot';
export * from './stages';
