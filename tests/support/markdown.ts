/** The fenced code blocks of a markdown text, in order, with their info strings (`sh`, `json`, ...). */
export function fencedBlocks(markdown: string): { lang: string; code: string }[] {
  return [...markdown.matchAll(/^(`{3,})([^\n`]*)\n([\s\S]*?)\n\1$/gm)].map((m) => ({
    lang: m[2]!.trim(),
    code: m[3]!,
  }));
}
