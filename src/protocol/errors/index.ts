export {
  ERROR_CODES,
  ErrorCode,
  UNKNOWN_ERROR_NAME,
  errorByCode,
  errorByName,
  isKafkaErrorName,
  isKnownErrorCode,
} from './error-codes.js';
export type { ErrorCodeEntry, ErrorEntry, KafkaErrorCodeOf, KafkaErrorName } from './error-codes.js';
export { KafkaProtocolError, throwIfError } from './kafka-protocol-error.js';
