export { type Devstack, type DevstackOptions, startDevstack } from './stack';
export { DevstackError } from './errors';
export { startPostgres } from './postgres';
export { startRedis, stopChild } from './redis';
export { freePort } from './ports';
