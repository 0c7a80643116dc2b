export { type Clock, systemClock, ManualClock } from './clock.js';
export { type Random, seededRandom } from './random.js';
export {
  type FileSystem,
  type FileHandle,
  type FileStat,
  type OpenMode,
  errorCode,
  fsError,
  dirname,
  joinPath,
} from './file-system.js';
export { NodeFileSystem, nodeFileSystem } from './node-file-system.js';
export {
  SimulatedFileSystem,
  type ArmedFault,
  type FaultOp,
  type SimulatedFaults,
  type CrashOptions,
} from './simulated-file-system.js';
