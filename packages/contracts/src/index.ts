export * from './analysis';
export * from './credits';
export * from './errors';
export * from './limits';
export * from './queue';
export * from './snapshot';
export * from './stages';
