/**
 * The shape of Samsa's own protocol schema files in schema/. They carry only
 * structure (names, types, version ranges, tags, defaults); the import tool
 * writes them once from Kafka's definitions and codegen reads nothing else.
 */

/** An inclusive version range; `null` means "never". */
export type VersionRange = readonly [min: number, max: number];

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

export type DefaultValue = string | number | boolean | null;

export interface SchemaField {
  name: string;
  /** A primitive, or 'struct' for a nested structure. */
  type: PrimitiveType | 'struct';
  /** True when the field is an array of `type`. */
  array: boolean;
  /** For structs: the struct's name, unique within its message. */
  structName?: string;
  fields?: SchemaField[];
  versions: VersionRange | null;
  nullableVersions?: VersionRange;
  taggedVersions?: VersionRange;
  tag?: number;
  default?: DefaultValue;
  /** Set on the few fields that never use compact encoding (the header's client id). */
  neverFlexible?: boolean;
}

export type MessageKind = 'request' | 'response' | 'header' | 'data' | 'metadata';

export interface SchemaMessage {
  name: string;
  kind: MessageKind;
  apiKey?: number;
  versions: VersionRange;
  flexibleVersions: VersionRange | null;
  /** The newest listed version is still under development in Kafka. */
  latestVersionUnstable?: boolean;
  fields: SchemaField[];
}
