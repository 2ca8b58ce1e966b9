/**
 * Providers and backends: ready-made tasks for the outside world (`shell`, `http`,
 * `readFile`/`writeFile`, `template`, `wait`), each cancelled with its run, and the cache and
 * state backends that outlive a process (`FileCache`, `RedisCache`, `RedisStateStore`). Built
 * on the spec and runtime layers only; nothing below imports from here.
 */
export { shell, runShell } from './shell.js';
export type { ShellOptions, ShellResult } from './shell.js';
export { http, requestHttp } from './http.js';
export type { HttpOptions, HttpResponse, HttpBodyType } from './http.js';
export { readFile, writeFile } from './file-io.js';
export type { ReadFileOptions, WriteFileOptions } from './file-io.js';
export { template, renderTemplate } from './template.js';
export { wait } from './wait.js';
export { ProcessFailedError, TimeoutError, HttpStatusError } from './provider-errors.js';
export type { ProcessFailure } from './provider-errors.js';
export { writeFileAtomic } from './atomic-write.js';
export type { AtomicWriteOptions } from './atomic-write.js';
export { FileCache } from './file-cache.js';
export type { FileCacheOptions } from './file-cache.js';
export { RedisCache } from './redis-cache.js';
export type { RedisCacheOptions } from './redis-cache.js';
export { RedisStateStore } from './redis-state-store.js';
export type { RedisStateStoreOptions } from './redis-state-store.js';
export type { RedisConnectionOptions } from './redis-connection.js';
