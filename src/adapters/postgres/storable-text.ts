/**
 * PostgreSQL's text and jsonb cannot hold U+0000: one NUL byte in a command's output failed every
 * attempt to store it, and the command never ended. It is stored as U+FFFD, as invalid bytes
 * already are (in JSON text, its `\u0000` escape too); an output event keeps its exact bytes
 * beside the text, in `command_output.bytes`.
 */
export function storableText(text: string): string {
  return text.includes('\0') || text.includes('\\u0000')
    ? text.replaceAll('\0', '\uFFFD').replaceAll('\\u0000', '\\ufffd')
    : text;
}
