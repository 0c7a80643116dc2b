export * from './batch-header.js';
