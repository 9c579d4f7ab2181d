export { type BuildOptions, buildServer } from './app';
