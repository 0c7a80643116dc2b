/**
 * Kafka Uuids in their string form: 16 random bytes, base64url without
 * padding (22 characters). Like Kafka we never hand out the all-zero id, the
 * metadata topic's id (1), or one whose text starts with '-' (it would read
 * as a command-line flag).
 */
import { randomBytes } from 'node:crypto';

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
/** The fixed topic id of `__cluster_metadata`. */
export const METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

export type UuidSource = () => string;

export const randomUuid: UuidSource = () => {
  for (;;) {
    const text = randomBytes(16).toString('base64url');
    if (text !== ZERO_UUID && text !== METADATA_TOPIC_ID && !text.startsWith('-')) return text;
  }
};

/** True for the 22-character base64url form of 16 bytes. */
export function isUuidText(text: string): boolean {
  return /^[A-Za-z0-9_-]{21}[AQgw]$/.test(text);
}
