/**
 * Lines an interactive Claude session reads on stdin (`--input-format=stream-json`): one JSON
 * object per line. The text is a JSON string value, so nothing in it can end the line early or
 * be read as another message.
 */

const encoder = new TextEncoder();

/** A user message: the next turn of the conversation. */
export function claudeUserMessage(text: string): Uint8Array {
  const line = {
    type: 'user',
    message: { role: 'user', content: [{ type: 'text', text }] },
    parent_tool_use_id: null,
  };
  return encoder.encode(`${JSON.stringify(line)}\n`);
}

/** Asks the CLI to stop the turn in progress; it answers with a `control_response` on stdout. */
export function claudeInterruptRequest(requestId: string): Uint8Array {
  const line = { type: 'control_request', request_id: requestId, request: { subtype: 'interrupt' } };
  return encoder.encode(`${JSON.stringify(line)}\n`);
}
