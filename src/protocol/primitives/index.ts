export { DecodeError } from './decode-error.js';
export { Reader } from './reader.js';
export { Writer } from './writer.js';
