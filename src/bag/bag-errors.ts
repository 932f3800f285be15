/**
 * A bag that cannot be read as asked: missing or corrupt files, an unknown storage plugin,
 * serialization format or compression, a type without a definition. The message names the file,
 * topic or field at fault.
 */
export class BagFormatError extends Error {
  override readonly name = 'BagFormatError';
}
