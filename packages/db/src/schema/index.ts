export * from './analyses';
export * from './auth';
export * from './credits';
export * from './secrets';
