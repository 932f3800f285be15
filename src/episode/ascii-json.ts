// JSON text with every non-ASCII character escaped (\uXXXX). Strings written to CDR go through
// @foxglove/cdr 3.5, which sizes strings in UTF-16 code units and so truncates multi-byte UTF-8
// (fixed upstream in foxglove/cdr#35, unreleased): ASCII-only JSON round-trips exactly.
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
