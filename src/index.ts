export { Engine, type EngineOptions } from './engine/index.js';
export * from './engine/errors.js';
export type { CallOptions, StreamOptions } from './engine/transport.js';
