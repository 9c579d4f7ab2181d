export { DevstackError } from './errors';
export { freePort } from './ports';
export { startPostgres } from './postgres';
export { startRedis, stopChild } from './redis';
export { type Devstack, type DevstackOptions, startDevstack } from './stack';
