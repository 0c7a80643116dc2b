/**
 * Which `__consumer_offsets` partition owns a group. Kafka takes Java's
 * String.hashCode of the group id, clears the sign bit and reduces modulo the
 * partition count; tools that read the topic directly (and other brokers in a
 * mixed cluster) expect the same placement, so we compute it the same way.
 */
export function javaStringHashCode(value: string): number {
  let hash = 0;
  // String.hashCode runs over UTF-16 code units, which is what charCodeAt gives.
  for (let i = 0; i < value.length; i++) hash = (Math.imul(hash, 31) + value.charCodeAt(i)) | 0;
  return hash;
}

export function partitionForGroup(groupId: string, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) throw new RangeError(`bad partition count ${partitionCount}`);
  return (javaStringHashCode(groupId) & 0x7fffffff) % partitionCount;
}
