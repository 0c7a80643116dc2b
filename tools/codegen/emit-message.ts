/**
 * Emits the TypeScript codec for one schema message: a full type (what a
 * decoder returns), an input type (what an encoder accepts; fields with a
 * default may be left out), and one reader and one writer per struct that
 * handle every version with version checks inline.
 */
import type { DefaultValue, SchemaField, SchemaMessage, VersionRange } from './schema-types.js';

interface StructInfo {
  typeName: string;
  fields: SchemaField[];
  /** The versions in which this struct appears at all. */
  versions: [number, number];
}

const FIXED_SIZE_BYTES: Record<string, number> = {
  bool: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  int64: 8,
  float64: 8,
  uuid: 16,
};

export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

function inRange(version: number, range: VersionRange | null | undefined): boolean {
  return range !== null && range !== undefined && version >= range[0] && version <= range[1];
}

export class MessageEmitter {
  private readonly message: SchemaMessage;
  private readonly structs = new Map<string, StructInfo>();
  private readonly needsIsDefault = new Set<string>();
  private readonly lines: string[] = [];

  constructor(message: SchemaMessage) {
    this.message = message;
    this.collectStructs(message.name, message.fields, message.versions, true);
  }

  private structTypeName(structName: string): string {
    return structName.startsWith(this.message.name) ? structName : this.message.name + structName;
  }

  private collectStructs(typeName: string, fields: SchemaField[], versions: VersionRange, root = false): void {
    const existing = this.structs.get(typeName);
    if (existing && !root) {
      if (JSON.stringify(existing.fields) !== JSON.stringify(fields.filter((f) => f.versions !== null))) {
        throw new Error(`${this.message.name}: two different structs named ${typeName}`);
      }
      // A shared struct used under several fields: conditions must hold for all of their versions.
      existing.versions = [Math.min(existing.versions[0], versions[0]), Math.max(existing.versions[1], versions[1])];
      return;
    }
    this.structs.set(typeName, { typeName, fields: fields.filter((f) => f.versions !== null), versions: [versions[0], versions[1]] });
    for (const field of fields) {
      if (field.versions === null) continue;
      if (field.taggedVersions && JSON.stringify(field.taggedVersions) !== JSON.stringify(field.versions)) {
        throw new Error(`${this.message.name}.${field.name}: tagged in only some of its versions`);
      }
      if (field.type === 'struct') {
        this.collectStructs(this.structTypeName(field.structName!), field.fields!, field.versions);
      }
    }
  }

  // ---- version conditions -------------------------------------------------

  /** A boolean expression over `version` for a range, simplified against the message's range. */
  private cond(range: VersionRange | null | undefined, within: VersionRange = this.message.versions): string {
    if (range === null || range === undefined) return 'false';
    const [min, max] = within;
    const lo = range[0] <= min ? null : range[0];
    const hi = range[1] >= max ? null : range[1];
    if (range[0] > max || range[1] < min) return 'false';
    if (lo === null && hi === null) return 'true';
    if (lo !== null && hi !== null && lo === hi) return `version === ${lo}`;
    if (lo === null) return `version <= ${hi}`;
    if (hi === null) return `version >= ${lo}`;
    return `version >= ${lo} && version <= ${hi}`;
  }

  private static choose(condition: string, whenTrue: string, whenFalse: string): string {
    if (condition === 'true') return whenTrue;
    if (condition === 'false') return whenFalse;
    return `(${condition} ? ${whenTrue} : ${whenFalse})`;
  }

  /** Whether the field is compact-encoded, decided statically when its versions allow. */
  private flexibleCond(field: SchemaField): string {
    const flexible = this.message.flexibleVersions;
    if (field.neverFlexible || flexible === null) return 'false';
    const versions = field.versions!;
    if (versions[0] >= flexible[0] && versions[1] <= flexible[1]) return 'true';
    if (versions[1] < flexible[0] || versions[0] > flexible[1]) return 'false';
    return 'flexible';
  }

  /** Whether the field may be null, as a condition evaluated only where the field exists. */
  private nullableCond(field: SchemaField): string {
    return this.cond(field.nullableVersions, field.versions!);
  }

  // ---- types ---------------------------------------------------------------

  private elementType(field: SchemaField, input: boolean): string {
    switch (field.type) {
      case 'bool':
        return 'boolean';
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'float64':
        return 'number';
      case 'int64':
        return 'bigint';
      case 'string':
      case 'uuid':
        return 'string';
      case 'bytes':
        return 'Buffer';
      case 'records':
        // Encoders also take the pieces of a log read, so Fetch never joins them.
        return input ? 'Buffer | readonly Buffer[]' : 'Buffer';
      case 'struct':
        return this.structTypeName(field.structName!) + (input ? 'Input' : '');
    }
  }

  private fieldType(field: SchemaField, input: boolean): string {
    let type = this.elementType(field, input);
    if (field.array) type = `${type}[]`;
    if (field.nullableVersions) type = `${type} | null`;
    return type;
  }

  /** Optional in the input type when leaving it out is meaningful: it has a default or is not in every version. */
  private isOptionalInput(field: SchemaField): boolean {
    if (field.default !== undefined) return true;
    if (field.taggedVersions) return true;
    const versions = field.versions!;
    return versions[0] > this.message.versions[0] || versions[1] < this.message.versions[1];
  }

  // ---- defaults ------------------------------------------------------------

  private defaultExpr(field: SchemaField): string {
    const explicit: DefaultValue | undefined = field.default;
    if (explicit === null) return 'null';
    if (field.array) return '[]';
    if (explicit !== undefined) {
      if (field.type === 'int64') return `${String(explicit)}n`;
      if (field.type === 'string' || field.type === 'uuid') return JSON.stringify(String(explicit));
      if (field.type === 'bool') return String(explicit === true || explicit === 'true');
      if (field.type === 'struct') return `default${this.structTypeName(field.structName!)}()`;
      return String(explicit);
    }
    switch (field.type) {
      case 'bool':
        return 'false';
      case 'int64':
        return '0n';
      case 'string':
        return "''";
      case 'uuid':
        return 'ZERO_UUID';
      case 'bytes':
        return 'EMPTY_BUFFER';
      case 'records':
        return field.nullableVersions ? 'null' : 'EMPTY_BUFFER';
      case 'struct':
        return `default${this.structTypeName(field.structName!)}()`;
      default:
        return '0';
    }
  }

  // ---- sizes (for rejecting lying array lengths early) ----------------------

  private minFieldBytes(field: SchemaField, version: number, flexible: boolean): number {
    if (field.array) return flexible ? 1 : 4;
    if (field.type in FIXED_SIZE_BYTES) return FIXED_SIZE_BYTES[field.type]!;
    if (field.type === 'string') return flexible && !field.neverFlexible ? 1 : 2;
    if (field.type === 'bytes' || field.type === 'records') return flexible ? 1 : 4;
    if (inRange(version, field.nullableVersions)) return 1;
    return this.minStructBytes(this.structTypeName(field.structName!), version, flexible);
  }

  private minStructBytes(typeName: string, version: number, flexible: boolean): number {
    const info = this.structs.get(typeName)!;
    let total = flexible ? 1 : 0;
    for (const field of info.fields) {
      if (!inRange(version, field.versions) || inRange(version, field.taggedVersions)) continue;
      total += this.minFieldBytes(field, version, flexible);
    }
    return total;
  }

  /** The smallest encoding of one element over all versions where the array exists. */
  private minElementBytes(field: SchemaField): number {
    let min = Number.POSITIVE_INFINITY;
    for (let v = field.versions![0]; v <= field.versions![1]; v++) {
      const flexible = inRange(v, this.message.flexibleVersions);
      const element: SchemaField = { ...field, array: false };
      min = Math.min(min, this.minFieldBytes(element, v, flexible));
    }
    return Number.isFinite(min) ? min : 0;
  }

  // ---- reading -------------------------------------------------------------

  private readElement(field: SchemaField, r: string): string {
    const flex = this.flexibleCond(field);
    const nullable = this.nullableCond(field);
    switch (field.type) {
      case 'bool':
        return `${r}.readBool()`;
      case 'int8':
        return `${r}.readInt8()`;
      case 'int16':
        return `${r}.readInt16()`;
      case 'uint16':
        return `${r}.readUInt16()`;
      case 'int32':
        return `${r}.readInt32()`;
      case 'int64':
        return `${r}.readInt64()`;
      case 'float64':
        return `${r}.readFloat64()`;
      case 'uuid':
        return `${r}.readUuid()`;
      case 'string':
        return MessageEmitter.choose(
          flex,
          MessageEmitter.choose(nullable, `${r}.readCompactNullableString()`, `${r}.readCompactString()`),
          MessageEmitter.choose(nullable, `${r}.readNullableString()`, `${r}.readString()`),
        );
      case 'bytes':
      case 'records':
        return MessageEmitter.choose(
          flex,
          MessageEmitter.choose(nullable, `${r}.readCompactNullableBytes()`, `${r}.readCompactBytes()`),
          MessageEmitter.choose(nullable, `${r}.readNullableBytes()`, `${r}.readBytes()`),
        );
      case 'struct': {
        const call = `read${this.structTypeName(field.structName!)}(${r}, version, flexible)`;
        if (nullable === 'false') return call;
        return MessageEmitter.choose(nullable, `(${r}.readInt8() < 0 ? null : ${call})`, call);
      }
    }
  }

  private readField(field: SchemaField, r: string): string {
    if (!field.array) return this.readElement(field, r);
    const element = this.readElement({ ...field, array: false, nullableVersions: undefined }, 'e');
    const flex = this.flexibleCond(field);
    const minBytes = this.minElementBytes(field);
    const nullable = this.nullableCond(field);
    return MessageEmitter.choose(
      nullable,
      `readNullableArray(${r}, ${flex}, ${minBytes}, (e) => ${element})`,
      `readArray(${r}, ${flex}, ${minBytes}, (e) => ${element})`,
    );
  }

  private emitReader(info: StructInfo): void {
    const { typeName, fields } = info;
    const out = this.lines;
    out.push(`function read${typeName}(r: Reader, version: number, flexible: boolean): ${typeName} {`);
    out.push(`  const out: ${typeName} = {`);
    const tagged: SchemaField[] = [];
    for (const field of fields) {
      const key = camelCase(field.name);
      if (field.taggedVersions) {
        tagged.push(field);
        out.push(`    ${key}: ${this.defaultExpr(field)},`);
        continue;
      }
      const present = this.cond(field.versions, info.versions);
      out.push(`    ${key}: ${MessageEmitter.choose(present, this.readField(field, 'r'), this.defaultExpr(field))},`);
    }
    out.push('  };');
    if (this.message.flexibleVersions !== null) {
      if (tagged.length === 0) {
        out.push('  if (flexible) r.skipTaggedFields();');
      } else {
        out.push('  if (flexible) {');
        out.push('    const tagCount = r.readUVarint();');
        out.push('    for (let i = 0; i < tagCount; i++) {');
        out.push('      const tag = r.readUVarint();');
        out.push('      const size = r.readUVarint();');
        out.push('      r.need(size);');
        out.push('      const t = new Reader(r.buf, r.pos, r.pos + size);');
        out.push('      switch (tag) {');
        for (const field of tagged) {
          out.push(`        case ${field.tag}:`);
          const present = this.cond(field.versions, info.versions);
          const assign = `out.${camelCase(field.name)} = ${this.readField(field, 't')};`;
          out.push(present === 'true' ? `          ${assign}` : `          if (${present}) ${assign}`);
          out.push('          break;');
        }
        out.push('        default:');
        out.push('          break;');
        out.push('      }');
        out.push('      r.pos += size;');
        out.push('    }');
        out.push('  }');
      }
    }
    out.push('  return out;');
    out.push('}');
    out.push('');
  }

  // ---- writing -------------------------------------------------------------

  private writeElement(field: SchemaField, w: string, value: string): string {
    const flex = this.flexibleCond(field);
    const nullable = this.nullableCond(field);
    const name = JSON.stringify(`${this.message.name}.${field.name}`);
    const strict = (v: string): string => (field.nullableVersions ? `nonNull(${v}, ${name})` : v);
    switch (field.type) {
      case 'bool':
        return `${w}.writeBool(${value})`;
      case 'int8':
        return `${w}.writeInt8(${value})`;
      case 'int16':
        return `${w}.writeInt16(${value})`;
      case 'uint16':
        return `${w}.writeUInt16(${value})`;
      case 'int32':
        return `${w}.writeInt32(${value})`;
      case 'int64':
        return `${w}.writeInt64(${value})`;
      case 'float64':
        return `${w}.writeFloat64(${value})`;
      case 'uuid':
        return `${w}.writeUuid(${value})`;
      case 'string':
        return MessageEmitter.choose(
          flex,
          MessageEmitter.choose(nullable, `${w}.writeCompactNullableString(${value})`, `${w}.writeCompactString(${strict(value)})`),
          MessageEmitter.choose(nullable, `${w}.writeNullableString(${value})`, `${w}.writeString(${strict(value)})`),
        );
      case 'bytes':
        return MessageEmitter.choose(
          flex,
          MessageEmitter.choose(nullable, `${w}.writeCompactNullableBytes(${value})`, `${w}.writeCompactBytes(${strict(value)})`),
          MessageEmitter.choose(nullable, `${w}.writeNullableBytes(${value})`, `${w}.writeBytes(${strict(value)})`),
        );
      case 'records':
        return MessageEmitter.choose(
          flex,
          MessageEmitter.choose(nullable, `${w}.writeCompactNullableRecords(${value})`, `${w}.writeCompactRecords(${strict(value)})`),
          MessageEmitter.choose(nullable, `${w}.writeNullableRecords(${value})`, `${w}.writeRecords(${strict(value)})`),
        );
      case 'struct': {
        const typeName = this.structTypeName(field.structName!);
        if (!field.nullableVersions) return `write${typeName}(${w}, version, flexible, ${value})`;
        const present = `write${typeName}(${w}, version, flexible, nonNull(${value}, ${name}))`;
        return MessageEmitter.choose(
          nullable,
          `(${value} === null ? ${w}.writeInt8(-1) : (${w}.writeInt8(1), ${present}))`,
          present,
        );
      }
    }
  }

  private writeField(field: SchemaField, w: string, value: string): string {
    if (!field.array) return this.writeElement(field, w, value);
    const element = this.writeElement({ ...field, array: false, nullableVersions: undefined }, 'ew', 'e');
    const flex = this.flexibleCond(field);
    const nullable = this.nullableCond(field);
    const name = JSON.stringify(`${this.message.name}.${field.name}`);
    return MessageEmitter.choose(
      nullable,
      `writeNullableArray(${w}, ${flex}, ${value}, (ew, e) => ${element})`,
      `writeArray(${w}, ${flex}, ${value}, (ew, e) => ${element}, ${name})`,
    );
  }

  /** The value of a field from an input object, with its default filled in. */
  private inputValue(field: SchemaField, object: string): string {
    const access = `${object}.${camelCase(field.name)}`;
    if (!this.isOptionalInput(field)) return access;
    return `(${access} !== undefined ? ${access} : ${this.defaultExpr(field)})`;
  }

  /** An expression that is true when a tagged field holds its default and can be left out. */
  private isDefaultExpr(field: SchemaField, value: string): string {
    const def = this.defaultExpr(field);
    if (def === 'null') return `${value} === null`;
    if (field.array) return `${value} === null || ${value}.length === 0`;
    if (field.type === 'bytes' || field.type === 'records') return `${value} === null || ${value}.length === 0`;
    if (field.type === 'struct') {
      const typeName = this.structTypeName(field.structName!);
      this.markIsDefault(typeName);
      return `isDefault${typeName}(${value})`;
    }
    return `${value} === ${def}`;
  }

  private markIsDefault(typeName: string): void {
    if (this.needsIsDefault.has(typeName)) return;
    this.needsIsDefault.add(typeName);
    for (const field of this.structs.get(typeName)!.fields) {
      if (field.type === 'struct' && !field.array) this.markIsDefault(this.structTypeName(field.structName!));
    }
  }

  private emitWriter(info: StructInfo): void {
    const { typeName, fields } = info;
    const out = this.lines;
    out.push(`function write${typeName}(w: Writer, version: number, flexible: boolean, m: ${typeName}Input): void {`);
    const tagged: SchemaField[] = [];
    for (const field of fields) {
      if (field.taggedVersions) {
        tagged.push(field);
        continue;
      }
      const present = this.cond(field.versions, info.versions);
      const statement = `${this.writeField(field, 'w', this.inputValue(field, 'm'))};`;
      out.push(present === 'true' ? `  ${statement}` : `  if (${present}) ${statement}`);
    }
    if (this.message.flexibleVersions !== null) {
      if (tagged.length === 0) {
        out.push('  if (flexible) w.writeUVarint(0);');
      } else {
        out.push('  if (flexible) {');
        const sorted = [...tagged].sort((a, b) => a.tag! - b.tag!);
        for (const field of sorted) {
          const key = camelCase(field.name);
          const present = this.cond(field.versions, info.versions);
          const guard = present === 'true' ? '' : `(${present}) && `;
          out.push(`    const tag${field.tag} = ${guard}m.${key} !== undefined && !(${this.isDefaultExpr(field, `m.${key}`)});`);
        }
        out.push(`    w.writeUVarint(${sorted.map((f) => `(tag${f.tag} ? 1 : 0)`).join(' + ')});`);
        for (const field of sorted) {
          const key = camelCase(field.name);
          out.push(
            `    if (tag${field.tag}) writeTaggedField(w, ${field.tag}, (t) => ${this.writeField(field, 't', `m.${key}!`)});`,
          );
        }
        out.push('  }');
      }
    }
    out.push('}');
    out.push('');
  }

  // ---- defaults and interfaces ----------------------------------------------

  private emitInterfaces(info: StructInfo): void {
    const out = this.lines;
    out.push(`export interface ${info.typeName} {`);
    for (const field of info.fields) {
      out.push(`  ${camelCase(field.name)}: ${this.fieldType(field, false)};`);
    }
    out.push('}');
    out.push('');
    out.push(`export interface ${info.typeName}Input {`);
    for (const field of info.fields) {
      const optional = this.isOptionalInput(field) ? '?' : '';
      out.push(`  ${camelCase(field.name)}${optional}: ${this.fieldType(field, true)};`);
    }
    out.push('}');
    out.push('');
  }

  private emitDefault(info: StructInfo, exported: boolean): void {
    const out = this.lines;
    out.push(`${exported ? 'export ' : ''}function default${info.typeName}(): ${info.typeName} {`);
    out.push('  return {');
    for (const field of info.fields) out.push(`    ${camelCase(field.name)}: ${this.defaultExpr(field)},`);
    out.push('  };');
    out.push('}');
    out.push('');
  }

  private emitIsDefault(typeName: string): void {
    const out = this.lines;
    const info = this.structs.get(typeName)!;
    const checks = info.fields.map((f) => `(m.${camelCase(f.name)} === undefined || ${this.isDefaultExpr(f, `m.${camelCase(f.name)}`)})`);
    out.push(`function isDefault${typeName}(m: ${typeName}Input): boolean {`);
    out.push(`  return ${checks.length ? checks.join(' &&\n    ') : 'true'};`);
    out.push('}');
    out.push('');
  }

  /**
   * This message's part of generated/codecs.ts: its types, codecs and
   * defaults, with the names other modules may import from it.
   */
  emitSection(sourceFile: string): EmittedSection {
    const m = this.message;
    const root = this.structs.get(m.name)!;
    const flexibleMin = m.flexibleVersions ? m.flexibleVersions[0] : null;
    const out = this.lines;
    out.push(`// ---- ${m.name} (${sourceFile}) ${'-'.repeat(Math.max(4, 90 - m.name.length - sourceFile.length))}`);
    out.push('');
    out.push(`/** ${m.name}: versions ${m.versions[0]}-${m.versions[1]}, flexible from ${flexibleMin ?? 'never'}. */`);
    out.push(`export const ${camelCase(m.name)}Versions = {`);
    out.push(`  min: ${m.versions[0]},`);
    out.push(`  max: ${m.versions[1]},`);
    out.push(`  flexibleMin: ${flexibleMin ?? -1},`);
    out.push(`  latestVersionUnstable: ${m.latestVersionUnstable === true},`);
    out.push('} as const;');
    out.push('');
    for (const info of this.structs.values()) this.emitInterfaces(info);
    out.push(`export function decode${m.name}(r: Reader, version: number): ${m.name} {`);
    out.push(`  return read${m.name}(r, version, ${flexibleMin === null ? 'false' : `version >= ${flexibleMin}`});`);
    out.push('}');
    out.push('');
    out.push(`export function encode${m.name}(w: Writer, version: number, message: ${m.name}Input): Writer {`);
    out.push(`  write${m.name}(w, version, ${flexibleMin === null ? 'false' : `version >= ${flexibleMin}`}, message);`);
    out.push('  return w;');
    out.push('}');
    out.push('');
    for (const info of this.structs.values()) {
      this.emitReader(info);
      this.emitWriter(info);
    }
    for (const info of this.structs.values()) this.emitDefault(info, info === root);
    // isDefault helpers were requested while emitting writers; emit them (and any they request) now.
    const emitted = new Set<string>();
    let pending = [...this.needsIsDefault];
    while (pending.length > 0) {
      for (const typeName of pending) {
        this.emitIsDefault(typeName);
        emitted.add(typeName);
      }
      pending = [...this.needsIsDefault].filter((t) => !emitted.has(t));
    }
    return {
      text: out.join('\n').replace(/\n+$/, '\n'),
      values: [`${camelCase(m.name)}Versions`, `decode${m.name}`, `encode${m.name}`, `default${m.name}`],
      types: [...this.structs.values()].flatMap((info) => [info.typeName, `${info.typeName}Input`]),
    };
  }
}

/** One message's generated code and the names it exports. */
export interface EmittedSection {
  text: string;
  values: string[];
  types: string[];
}
